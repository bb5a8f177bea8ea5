//! A `BroadcastChannel` between the app's tabs: it carries the text of the
//! messages `model::tabs::TabMessage` defines and never looks inside.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// One tab's end of a named channel. It does not hear its own messages.
pub struct Channel {
    channel: web_sys::BroadcastChannel,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl Channel {
    /// Opens `name`; `on_message` hears the text other tabs post.
    pub fn open(name: &str, on_message: impl Fn(String) + 'static) -> Option<Channel> {
        let channel = web_sys::BroadcastChannel::new(name).ok()?;
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                if let Some(text) = event.data().as_string() {
                    on_message(text);
                }
            },
        );
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Channel {
            channel,
            _on_message: on_message,
        })
    }

    pub fn post(&self, message: &str) {
        let _ = self
            .channel
            .post_message(&wasm_bindgen::JsValue::from_str(message));
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
