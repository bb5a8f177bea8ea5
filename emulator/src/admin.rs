//! The admin endpoint (its own port, never faulted): fault injection and stats over
//! HTTP, for tests that do not hold the library handle (browser end-to-end tests).
//!
//! | request | body (JSON) |
//! |---|---|
//! | `GET /__admin/stats` | - |
//! | `POST /__admin/fail-next` | `{"count":2,"error":"SlowDown"\|"InternalError"\|"Reset"\|"DropAnswer","operation":"UploadPart"}` (operation optional) |
//! | `POST /__admin/fail-rate` | `{"fraction":0.3,"error":"InternalError"}` |
//! | `POST /__admin/latency` | `{"ms":500}` |
//! | `POST /__admin/clock` | `{"shiftSeconds":3600}` |
//! | `POST /__admin/lifetimes` | any of the config's `lifetimes` fields |
//! | `POST /__admin/expire-credentials` | - |
//! | `POST /__admin/forget-credentials` | - |
//! | `POST /__admin/network-down` | `{"seconds":5}` |
//! | `POST /__admin/versioning` | `{"enabled":false}` (S3 versioning of the bucket; on by default) |
//! | `POST /__admin/reset` | - (clears faults, clock shift, lifetimes, counters; versioning back on) |
//! | `GET /__admin/config` | - (the app `config.json`) |

use crate::http_util::*;
use crate::server::{BoxFuture, Handler};
use crate::{Control, FaultKind};
use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

pub fn handler(control: Control) -> Handler {
    Arc::new(move |req| -> BoxFuture<Option<Resp>> {
        let control = control.clone();
        Box::pin(async move { Some(route(&control, req).await) })
    })
}

fn bad(message: &str) -> Resp {
    json(StatusCode::BAD_REQUEST, &json!({ "error": message }))
}

fn ok() -> Resp {
    json(StatusCode::OK, &json!({ "ok": true }))
}

fn fault_kind(v: &Value) -> Result<FaultKind, Resp> {
    match v
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or("InternalError")
    {
        "InternalError" => Ok(FaultKind::InternalError),
        "SlowDown" => Ok(FaultKind::SlowDown),
        "Reset" => Ok(FaultKind::Reset),
        "DropAnswer" => Ok(FaultKind::DropAnswer),
        other => Err(bad(&format!(
            "unknown error {other:?}: use InternalError, SlowDown, Reset or DropAnswer"
        ))),
    }
}

async fn route(control: &Control, req: Request<Incoming>) -> Resp {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let body: Value = match read_body(req.into_body(), 64 * 1024).await {
        Ok(b) if b.is_empty() => json!({}),
        Ok(b) => match serde_json::from_slice(&b) {
            Ok(v) => v,
            Err(e) => return bad(&format!("body is not JSON: {e}")),
        },
        Err(e) => return bad(&e),
    };
    let num = |name: &str| body.get(name).and_then(Value::as_f64);
    match (method, path.as_str()) {
        (Method::GET, "/__admin/stats") => json(
            StatusCode::OK,
            &serde_json::to_value(control.stats()).unwrap_or_default(),
        ),
        (Method::GET, "/__admin/config") => {
            json(StatusCode::OK, &crate::app::app_config(&control.state))
        }
        (Method::POST, "/__admin/fail-next") => {
            let kind = match fault_kind(&body) {
                Ok(k) => k,
                Err(r) => return r,
            };
            let count = num("count").unwrap_or(1.0).max(0.0) as usize;
            let op = body.get("operation").and_then(Value::as_str);
            control.fail_next(count, kind, op);
            ok()
        }
        (Method::POST, "/__admin/fail-rate") => {
            let kind = match fault_kind(&body) {
                Ok(k) => k,
                Err(r) => return r,
            };
            let Some(fraction) = num("fraction") else {
                return bad("fraction (0..1) is required");
            };
            control.fail_fraction(fraction, kind);
            ok()
        }
        (Method::POST, "/__admin/latency") => {
            let ms = num("ms").unwrap_or(0.0).max(0.0);
            control.set_latency(Duration::from_millis(ms as u64));
            ok()
        }
        (Method::POST, "/__admin/clock") => {
            let Some(shift) = body.get("shiftSeconds").and_then(Value::as_i64) else {
                return bad("shiftSeconds (integer) is required");
            };
            control.shift_clock(shift);
            json(StatusCode::OK, &json!({ "ok": true, "now": control.now() }))
        }
        (Method::POST, "/__admin/lifetimes") => {
            let mut current = serde_json::to_value(control.lifetimes()).unwrap_or_default();
            if let (Some(cur), Some(new)) = (current.as_object_mut(), body.as_object()) {
                for (k, v) in new {
                    cur.insert(k.clone(), v.clone());
                }
            }
            match serde_json::from_value(current) {
                Ok(l) => {
                    control.set_lifetimes(l);
                    json(
                        StatusCode::OK,
                        &serde_json::to_value(control.lifetimes()).unwrap_or_default(),
                    )
                }
                Err(e) => bad(&format!("bad lifetimes: {e}")),
            }
        }
        (Method::POST, "/__admin/expire-credentials") => {
            control.expire_credentials();
            ok()
        }
        (Method::POST, "/__admin/forget-credentials") => {
            control.forget_credentials();
            ok()
        }
        (Method::POST, "/__admin/network-down") => {
            let seconds = num("seconds").unwrap_or(5.0).max(0.0);
            control.network_down(Duration::from_secs_f64(seconds));
            ok()
        }
        (Method::POST, "/__admin/versioning") => {
            let Some(on) = body.get("enabled").and_then(Value::as_bool) else {
                return bad("enabled (true or false) is required");
            };
            control.set_versioning(on);
            ok()
        }
        (Method::POST, "/__admin/reset") => {
            control.clear_faults();
            control.reset_stats();
            control.set_versioning(true);
            ok()
        }
        _ => json(
            StatusCode::NOT_FOUND,
            &json!({ "error": "unknown admin route" }),
        ),
    }
}
