//! How C holds library objects. Every opaque handle (`coap_pdu_t *`,
//! `coap_session_t *` ...) points at a [`Slot`] in a per-type [`Pool`]. A slot
//! is never returned to the allocator: a released object's slot is marked
//! dead and reused for the next object of that type. So a handle the
//! application kept after releasing it (a double free, a use after free)
//! still points at memory of ours, whose tag says "dead": the call is refused
//! with a log line instead of corrupting the heap. Reuse also keeps PDU
//! buffers allocated across requests.
use std::cell::Cell;
use std::sync::{Mutex, PoisonError};
use std::thread::LocalKey;

const DEAD: u64 = 0xdead_dead_dead_dead;

/// A pooled object and its liveness tag.
#[repr(C)]
pub struct Slot<T> {
    tag: u64,
    value: T,
}

/// Ties a C handle type to the Rust object behind it.
pub trait Handle: Sized + 'static {
    /// The opaque C type the application sees.
    type C;
    /// The type's name, for log lines.
    const NAME: &'static str;
    /// Tag of a live object of this type (distinct per type).
    const TAG: u64;
    fn pool() -> &'static Pool<Self>;
    /// Drops what the object refers to before its slot is parked for reuse;
    /// keeps what is worth keeping (buffers).
    fn recycle(&mut self);
    /// A per-thread parking place in front of the pool, for types made and
    /// released at a high rate (PDUs); None: always the shared list.
    fn local_hot() -> Option<&'static LocalKey<LocalHot>> {
        None
    }
}

/// One parked slot per thread. A PDU made and deleted in turn on one thread
/// (one per request) passes through it with plain loads and stores: no
/// lock, no atomic read-modify-write (each costs more cycles than the rest
/// of the allocation). When the thread ends, the slot goes back to the
/// shared list through `give_back`.
pub struct LocalHot {
    slot: Cell<*mut ()>,
    give_back: unsafe fn(*mut ()),
}

impl LocalHot {
    /// `give_back` must accept a parked slot of the pool this serves.
    pub const fn new(give_back: unsafe fn(*mut ())) -> Self {
        LocalHot { slot: Cell::new(std::ptr::null_mut()), give_back }
    }
}

impl Drop for LocalHot {
    fn drop(&mut self) {
        let p = self.slot.replace(std::ptr::null_mut());
        if !p.is_null() {
            // SAFETY: only parked slots of the serving pool are stored here,
            // and this one leaves the cell before it is handed back.
            unsafe { (self.give_back)(p) };
        }
    }
}

struct FreeList<T>(Vec<*mut Slot<T>>);
// SAFETY: the free list only holds pointers to slots nobody else uses; the
// Mutex around it serialises access.
unsafe impl<T> Send for FreeList<T> {}

/// Parked slots: this thread's [`LocalHot`] one (for types that have it),
/// the rest in the locked list. A slot is in at most one place.
pub struct Pool<T> {
    free: Mutex<FreeList<T>>,
}

impl<T: Handle> Pool<T> {
    pub const fn new() -> Self {
        Pool { free: Mutex::new(FreeList(Vec::new())) }
    }

    /// A parked slot, if any; the caller owns it from now on.
    #[inline]
    fn take_parked(&self) -> Option<*mut Slot<T>> {
        if let Some(key) = T::local_hot() {
            // Err only while the thread's locals are being destroyed.
            if let Ok(p) = key.try_with(|h| h.slot.replace(std::ptr::null_mut())) {
                if !p.is_null() {
                    return Some(p.cast());
                }
            }
        }
        self.free.lock().unwrap_or_else(PoisonError::into_inner).0.pop()
    }

    /// Parks a dead slot: in this thread's hot place if it is free, else
    /// in the shared list.
    ///
    /// # Safety
    /// As for [`park_shared`](Self::park_shared).
    #[inline]
    unsafe fn park(&self, slot: *mut Slot<T>) {
        if let Some(key) = T::local_hot() {
            let kept = key.try_with(|h| h.slot.get().is_null() && {
                h.slot.set(slot.cast());
                true
            });
            if kept == Ok(true) {
                return;
            }
        }
        // SAFETY: per this function's contract.
        unsafe { self.park_shared(slot) };
    }

    /// True if `h`'s slot is parked in the shared list (for tests).
    #[cfg(test)]
    pub(crate) fn shared_holds(&self, h: *mut T::C) -> bool {
        self.free.lock().unwrap_or_else(PoisonError::into_inner).0.iter().any(|&s| s.cast() == h)
    }

    /// Parks a dead slot in the shared list.
    ///
    /// # Safety
    /// `slot` came from this pool's `alloc`, its object was released, and it
    /// is parked nowhere else.
    pub unsafe fn park_shared(&self, slot: *mut Slot<T>) {
        self.free.lock().unwrap_or_else(PoisonError::into_inner).0.push(slot);
    }

    /// A live object: a parked one re-initialised by `reuse`, or `make()`.
    pub fn alloc(&self, make: impl FnOnce() -> T, reuse: impl FnOnce(&mut T)) -> *mut T::C {
        let parked = self.take_parked();
        let slot = match parked {
            Some(slot) => {
                // SAFETY: parked slots come from Box::into_raw below, are
                // never freed, and nobody else holds them.
                let s = unsafe { &mut *slot };
                reuse(&mut s.value);
                s.tag = T::TAG;
                slot
            }
            None => Box::into_raw(Box::new(Slot { tag: T::TAG, value: make() })),
        };
        slot.cast()
    }

    /// Marks the object dead and parks it. False (nothing done) when `h`
    /// is not a live object of this type.
    ///
    /// # Safety
    /// `h` is NULL or was returned by `alloc` of this pool, and no reference
    /// obtained through [`get`] is in use.
    pub unsafe fn release(&self, h: *mut T::C) -> bool {
        let slot = h.cast::<Slot<T>>();
        // SAFETY: per the contract, a non-NULL handle points at one of our
        // slots, which stay allocated forever.
        let Some(s) = (unsafe { slot.as_mut() }) else { return false };
        if s.tag != T::TAG {
            return false;
        }
        s.tag = DEAD;
        s.value.recycle();
        // SAFETY: the slot is ours (tag checked), just marked dead, and a
        // live slot is parked nowhere.
        unsafe { self.park(slot) };
        true
    }
}

impl<T: Handle> Default for Pool<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The object behind a handle, if the handle is live.
///
/// # Safety
/// `h` is NULL or a pointer this library handed out for `T::C` (the C
/// contract); the caller does not keep two `&mut` to one object at once.
pub unsafe fn get<'a, T: Handle>(h: *mut T::C) -> Option<&'a mut T> {
    let slot = h.cast::<Slot<T>>();
    // SAFETY: see above: slots are never freed, so reading the tag of a
    // handle we once returned is always valid.
    let s = unsafe { slot.as_mut() }?;
    (s.tag == T::TAG).then_some(&mut s.value)
}

/// Logs why a handle was refused (NULL, or released / not ours).
#[cold]
pub fn refuse(func: &str, arg: &str, what: &str, null: bool) {
    if null {
        log::warn!("{func}: {arg} is NULL");
    } else {
        log::error!("{func}: {arg} is not a live {what} (already released?)");
    }
}

/// Turns a handle argument into `&mut` its object, or logs and returns the
/// failure value (the `Failure` default, or the expression after `else`).
macro_rules! handle {
    ($func:expr, $h:expr, $t:ty) => {
        handle!($func, $h, $t, else $crate::ffi::boundary::Failure::failure())
    };
    ($func:expr, $h:expr, $t:ty, else $fail:expr) => {{
        let h = $h as *mut <$t as $crate::ffi::handle::Handle>::C;
        // SAFETY: the C contract: a handle argument is NULL or a pointer this
        // library returned; `get` checks the liveness tag.
        match unsafe { $crate::ffi::handle::get::<$t>(h) } {
            Some(obj) => obj,
            None => {
                $crate::ffi::handle::refuse(
                    $func,
                    stringify!($h),
                    <$t as $crate::ffi::handle::Handle>::NAME,
                    h.is_null(),
                );
                return $fail;
            }
        }
    }};
}
