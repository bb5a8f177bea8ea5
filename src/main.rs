fn main() {
    cubby::ui::mount();
}
