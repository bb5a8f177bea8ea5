//! Random bytes from `crypto.getRandomValues`, for PKCE verifiers, state and nonce.

/// `N` bytes from the browser's cryptographic random source.
pub fn bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut buf = [0u8; N];
    let crypto = web_sys::window()
        .ok_or("no window")?
        .crypto()
        .map_err(|_| "crypto is not available")?;
    crypto
        .get_random_values_with_u8_array(&mut buf)
        .map_err(|_| "crypto.getRandomValues failed")?;
    Ok(buf)
}
