//! coap_logging(3): log levels, the application's log handler, the default
//! stdout/stderr sink, and the bridge that sends the library's own `log`
//! records to the same place. `coap_log_impl` itself is in log_shim.c.
use crate::ffi::boundary::guard;
use crate::ffi::types::{coap_log_handler_t, level, LogLevel};
use std::ffi::{c_char, c_int};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::Relaxed};

static LEVEL: AtomicU32 = AtomicU32::new(level::WARN);
static DTLS_LEVEL: AtomicU32 = AtomicU32::new(level::EMERG);
/// The application's handler as an address; 0 means the default sink.
static HANDLER: AtomicUsize = AtomicUsize::new(0);
static SHOW_PDU_FPRINTF: AtomicBool = AtomicBool::new(true);

extern "C" {
    fn rs_coap_log_write(to_stderr: c_int, text: *const c_char, len: usize);
}

/// Whether a message at `lvl` passes the current level.
pub fn enabled(lvl: LogLevel) -> bool {
    lvl <= LEVEL.load(Relaxed)
}

/// Whether coap_show_pdu() writes with fprintf (1) or through coap_log (0).
pub fn show_pdu_uses_fprintf() -> bool {
    SHOW_PDU_FPRINTF.load(Relaxed)
}

/// Formats and delivers one message from Rust code (already level-checked
/// or not: the check is repeated here).
pub fn emit(lvl: LogLevel, args: std::fmt::Arguments<'_>) {
    if !enabled(lvl) {
        return;
    }
    let mut text = String::with_capacity(128);
    let _ = text.write_fmt(args);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push('\0');
    deliver(lvl, text.as_bytes());
}

/// `msg` ends with a NUL byte that is not part of the message.
fn deliver(lvl: LogLevel, msg: &[u8]) {
    let text = msg.strip_suffix(&[0]).unwrap_or(msg);
    let handler = HANDLER.load(Relaxed);
    if handler != 0 && msg.last() == Some(&0) {
        // SAFETY: HANDLER only ever holds a non-NULL coap_log_handler_t
        // stored by coap_set_log_handler(), and `msg` is NUL-terminated.
        let f: unsafe extern "C" fn(LogLevel, *const c_char) =
            unsafe { std::mem::transmute::<usize, unsafe extern "C" fn(LogLevel, *const c_char)>(handler) };
        // SAFETY: calling the application's handler with a valid C string.
        unsafe { f(lvl, msg.as_ptr().cast()) };
        return;
    }
    let mut line = Vec::with_capacity(text.len() + 32);
    line.extend_from_slice(timestamp().as_bytes());
    if let Some(name) = level_name(lvl) {
        line.extend_from_slice(name.as_bytes());
        line.push(b' ');
    }
    line.extend_from_slice(text);
    // SAFETY: `line` is a live buffer of `line.len()` bytes.
    unsafe { rs_coap_log_write(c_int::from(lvl <= level::CRIT), line.as_ptr().cast(), line.len()) };
}

fn level_name(lvl: LogLevel) -> Option<&'static str> {
    const NAMES: [&str; 10] = ["EMRG", "ALRT", "CRIT", "ERR ", "WARN", "NOTE", "INFO", "DEBG", "OSC ", "CIPH"];
    NAMES.get(lvl as usize).copied()
}

/// "Nov 25 09:17:33.080 " in local time, as libcoap prints it.
fn timestamp() -> String {
    let now = crate::engine::clock::now_realtime_us();
    let secs = (now / 1_000_000) as libc::time_t;
    let millis = (now / 1000) % 1000;
    // SAFETY: localtime_r and strftime write only into the buffers given.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&secs, &mut tm).is_null() {
            return format!("{secs}.{millis:03} ");
        }
        let mut buf = [0u8; 32];
        let n = libc::strftime(buf.as_mut_ptr().cast(), buf.len(), c"%b %d %H:%M:%S".as_ptr(), &tm);
        let date = std::str::from_utf8(&buf[..n]).unwrap_or("");
        format!("{date}.{millis:03} ")
    }
}

/// C shim entry: `msg[len]` is a NUL byte.
#[no_mangle]
pub unsafe extern "C" fn rs_coap_log_deliver(lvl: LogLevel, msg: *const c_char, len: usize) {
    guard("coap_log_impl", || {
        if msg.is_null() {
            return;
        }
        // SAFETY: the shim passes a buffer of len + 1 bytes ending in NUL.
        let bytes = unsafe { std::slice::from_raw_parts(msg.cast::<u8>(), len + 1) };
        deliver(lvl, bytes);
    })
}

/// Routes the library's own `log` records to the coap sink.
struct Bridge;

impl log::Log for Bridge {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        enabled(coap_level(meta))
    }
    fn log(&self, record: &log::Record<'_>) {
        let lvl = coap_level(record.metadata());
        if record.target() == crate::engine::context::SHOW_PDU_TARGET && show_pdu_uses_fprintf() && enabled(lvl) {
            // As coap_show_pdu(): the bare line on stdout, no timestamp.
            let line = format!("{}\n", record.args());
            // SAFETY: `line` is a live buffer of `line.len()` bytes.
            unsafe { rs_coap_log_write(0, line.as_ptr().cast(), line.len()) };
            return;
        }
        emit(lvl, *record.args());
    }
    fn flush(&self) {}
}

/// `log` has five levels, coap nine: a target of `coap::notice`,
/// `coap::crit`, `coap::alert` or `coap::emerg` picks the finer ones.
fn coap_level(meta: &log::Metadata<'_>) -> LogLevel {
    match meta.target() {
        "coap::notice" => level::NOTICE,
        "coap::crit" => level::CRIT,
        "coap::alert" => level::ALERT,
        "coap::emerg" => level::EMERG,
        _ => match meta.level() {
            log::Level::Error => level::ERR,
            log::Level::Warn => level::WARN,
            log::Level::Info => level::INFO,
            log::Level::Debug => level::DEBUG,
            log::Level::Trace => level::OSCORE,
        },
    }
}

fn sync_log_crate_level(lvl: LogLevel) {
    log::set_max_level(match lvl {
        0..=3 => log::LevelFilter::Error,
        4 => log::LevelFilter::Warn,
        5 | 6 => log::LevelFilter::Info,
        7 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    });
}

/// Installs the bridge once (library constructor, coap_startup()).
pub fn install() {
    static BRIDGE: Bridge = Bridge;
    if log::set_logger(&BRIDGE).is_ok() {
        sync_log_crate_level(LEVEL.load(Relaxed));
    }
}

#[no_mangle]
pub extern "C" fn rs_coap_log_install() {
    guard("coap_startup", install)
}

#[no_mangle]
pub extern "C" fn coap_set_log_level(lvl: LogLevel) {
    guard("coap_set_log_level", || {
        LEVEL.store(lvl, Relaxed);
        sync_log_crate_level(lvl);
    })
}

#[no_mangle]
pub extern "C" fn coap_get_log_level() -> LogLevel {
    guard("coap_get_log_level", || LEVEL.load(Relaxed))
}

#[no_mangle]
pub extern "C" fn coap_dtls_set_log_level(lvl: LogLevel) {
    guard("coap_dtls_set_log_level", || DTLS_LEVEL.store(lvl, Relaxed))
}

#[no_mangle]
pub extern "C" fn coap_dtls_get_log_level() -> LogLevel {
    guard("coap_dtls_get_log_level", || DTLS_LEVEL.load(Relaxed))
}

#[no_mangle]
pub extern "C" fn coap_set_log_handler(handler: coap_log_handler_t) {
    guard("coap_set_log_handler", || {
        HANDLER.store(handler.map_or(0, |f| f as usize), Relaxed);
    })
}

#[no_mangle]
pub extern "C" fn coap_set_show_pdu_output(use_fprintf: c_int) {
    guard("coap_set_show_pdu_output", || SHOW_PDU_FPRINTF.store(use_fprintf != 0, Relaxed))
}

#[no_mangle]
pub extern "C" fn coap_package_name() -> *const c_char {
    c"libcoap".as_ptr()
}

#[no_mangle]
pub extern "C" fn coap_package_version() -> *const c_char {
    c"4.3.3".as_ptr()
}

/// The API level plus a mark of this implementation, where libcoap gives
/// its `git describe`.
#[no_mangle]
pub extern "C" fn coap_package_build() -> *const c_char {
    c"4.3.3-rs".as_ptr()
}

/// coap_show_pdu(3): the PDU as libcoap prints it (see proto::show), to
/// stdout whatever the level (as libcoap's fprintf output) or through
/// coap_log.
#[no_mangle]
pub unsafe extern "C" fn coap_show_pdu(lvl: LogLevel, pdu: *const crate::ffi::types::coap_pdu_t) {
    guard("coap_show_pdu", || {
        if !enabled(lvl) {
            return;
        }
        let obj = handle!("coap_show_pdu", pdu, crate::engine::pdu::PduObj);
        let lines = crate::proto::show::pdu_lines(&obj.pdu);
        let fprintf = show_pdu_uses_fprintf();
        for mut line in lines {
            if fprintf {
                // SAFETY: `line` is a live buffer of `line.len()` bytes.
                unsafe { rs_coap_log_write(0, line.as_ptr().cast(), line.len()) };
            } else {
                line.push(0);
                deliver(lvl, &line);
            }
        }
    })
}

/// The reason phrase of a response code; NULL for codes without one.
#[no_mangle]
pub extern "C" fn coap_response_phrase(code: std::ffi::c_uchar) -> *const c_char {
    guard("coap_response_phrase", || crate::proto::show::response_phrase(code).map_or(std::ptr::null(), |p| p.as_ptr()))
}
