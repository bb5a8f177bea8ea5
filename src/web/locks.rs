//! The Web Locks API (`navigator.locks.request`): one holder per lock name across
//! every tab of the origin. Without it (old browsers) the work just runs.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// Resolves the promise that keeps the lock held; on drop too, so an abandoned
/// holder never keeps the lock.
struct Release(Rc<RefCell<Option<js_sys::Function>>>);

impl Drop for Release {
    fn drop(&mut self) {
        if let Some(resolve) = self.0.borrow_mut().take() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    }
}

fn lock_manager() -> Option<(JsValue, js_sys::Function)> {
    let navigator = web_sys::window()?.navigator();
    let locks = js_sys::Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    if locks.is_undefined() || locks.is_null() {
        return None;
    }
    let request = js_sys::Reflect::get(&locks, &JsValue::from_str("request"))
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    Some((locks, request))
}

/// Runs `work` while holding the lock `name` (waiting for other tabs to let go).
pub async fn with_lock<T>(name: &str, work: impl Future<Output = T>) -> T {
    let Some((locks, request)) = lock_manager() else {
        return work.await;
    };
    let (granted_tx, granted_rx) = futures::channel::oneshot::channel::<()>();
    let release = Release(Rc::new(RefCell::new(None)));
    let resolver = release.0.clone();
    let on_granted = Closure::once(move |_lock: JsValue| -> js_sys::Promise {
        let held = js_sys::Promise::new(&mut |resolve, _reject| {
            *resolver.borrow_mut() = Some(resolve);
        });
        let _ = granted_tx.send(());
        held
    });
    let started = request.call2(
        &locks,
        &JsValue::from_str(name),
        on_granted.as_ref().unchecked_ref(),
    );
    if started.is_ok() {
        // An error (the lock could not be requested) runs the work unlocked.
        let _ = granted_rx.await;
    }
    let out = work.await;
    drop(release);
    drop(on_granted);
    out
}
