//! Random bytes from the kernel (getrandom(2)), as libcoap uses on Linux.

/// Fills `buf` from the kernel's CSPRNG; false if the kernel refuses.
pub fn os_fill(buf: &mut [u8]) -> bool {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: getrandom writes at most rest.len() bytes into rest.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return false;
        }
        done += n as usize;
    }
    true
}

#[cfg(test)]
mod tests {
    #[test]
    fn fills_large_buffers_and_differs() {
        let mut a = [0u8; 4096];
        let mut b = [0u8; 4096];
        assert!(super::os_fill(&mut a));
        assert!(super::os_fill(&mut b));
        assert_ne!(a, b);
        assert!(super::os_fill(&mut []));
    }
}
