//! The accept loop shared by every service: HTTP/1.1 on 127.0.0.1, with the
//! "network down" and latency faults for the AWS services.

use crate::http_util::Resp;
use crate::state::State;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A service: `None` closes the connection without a response (a reset).
pub type Handler = Arc<dyn Fn(Request<Incoming>) -> BoxFuture<Option<Resp>> + Send + Sync>;

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

pub async fn serve(
    name: &'static str,
    listener: TcpListener,
    state: Arc<State>,
    aws_service: bool,
    handler: Handler,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        if aws_service && state.network_down() {
            // Reset at once, like a refused connection (linger 0 does not block).
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(std::time::Duration::ZERO));
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let handler = handler.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let state = state.clone();
                let handler = handler.clone();
                async move {
                    if aws_service {
                        if state.network_down() {
                            return Err(Dropped);
                        }
                        let latency = state.latency();
                        if !latency.is_zero() {
                            tokio::time::sleep(latency).await;
                        }
                    }
                    // Path only: queries carry presigned signatures and tokens.
                    let line = format!("{name:<9} {} {}", req.method(), req.uri().path());
                    let resp = handler(req).await;
                    if state.config.log_requests {
                        match &resp {
                            Some(r) => println!("{line} -> {}", r.status().as_u16()),
                            None => println!("{line} -> connection reset"),
                        }
                    }
                    let mut resp = resp.ok_or(Dropped)?;
                    if aws_service {
                        // The server clock, shifted when a test shifts it (hyper's own
                        // Date header would show real time).
                        let date = crate::http_util::http_date(state.now());
                        if let Ok(v) = http::HeaderValue::from_str(&date) {
                            resp.headers_mut().insert(http::header::DATE, v);
                        }
                    }
                    Ok(resp)
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}
