//! How C holds library objects. Every opaque handle (`coap_pdu_t *`,
//! `coap_session_t *` ...) points at a [`Slot`] in a per-type [`Pool`]. A slot
//! is never returned to the allocator: a released object's slot is marked
//! dead and reused for the next object of that type. So a handle the
//! application kept after releasing it (a double free, a use after free)
//! still points at memory of ours, whose tag says "dead": the call is refused
//! with a log line instead of corrupting the heap. Reuse also keeps PDU
//! buffers allocated across requests.
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, PoisonError};

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
}

struct FreeList<T>(Vec<*mut Slot<T>>);
// SAFETY: the free list only holds pointers to slots nobody else uses; the
// Mutex around it serialises access.
unsafe impl<T> Send for FreeList<T> {}

/// Parked slots: the most recently released one in `hot`, the rest in the
/// locked list. An object made and released in turn (a PDU per request)
/// passes through `hot` with one atomic swap each way instead of a lock,
/// an unlock and a Vec push or pop. A slot is in at most one of the two.
pub struct Pool<T> {
    hot: AtomicPtr<Slot<T>>,
    free: Mutex<FreeList<T>>,
}

impl<T: Handle> Pool<T> {
    pub const fn new() -> Self {
        Pool { hot: AtomicPtr::new(std::ptr::null_mut()), free: Mutex::new(FreeList(Vec::new())) }
    }

    /// A parked slot, if any; the caller owns it from now on.
    #[inline]
    fn take_parked(&self) -> Option<*mut Slot<T>> {
        // Acquire: the releasing thread's writes to the slot are visible.
        let hot = self.hot.swap(std::ptr::null_mut(), Ordering::Acquire);
        if !hot.is_null() {
            return Some(hot);
        }
        self.free.lock().unwrap_or_else(PoisonError::into_inner).0.pop()
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
        // Release: pairs with the Acquire swap in take_parked.
        if self.hot.compare_exchange(std::ptr::null_mut(), slot, Ordering::Release, Ordering::Relaxed).is_err() {
            self.free.lock().unwrap_or_else(PoisonError::into_inner).0.push(slot);
        }
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
