//! Peak heap use of one piece of work, for the bounded-memory tests.
//!
//! A counting global allocator adds up what *tracked* threads allocate and
//! free. Only threads doing the measured work are tracked (the calling thread
//! and the threads of a runtime built for the measurement), so other tests
//! running in parallel in this binary do not disturb the count. Memory
//! allocated by a tracked thread and freed by another stays counted, which can
//! only make a measurement larger, never hide a large buffer. One measurement
//! runs at a time.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    sync::{
        Mutex,
        atomic::{AtomicIsize, Ordering},
    },
};

struct Meter;

#[global_allocator]
static METER: Meter = Meter;

static CURRENT: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

thread_local! {
    static TRACKED: Cell<bool> = const { Cell::new(false) };
}

fn tracked() -> bool {
    // `try_with` fails only while the thread is being torn down.
    TRACKED.try_with(Cell::get).unwrap_or(false)
}

fn add(bytes: isize) {
    let now = CURRENT.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// wrapper only updates two counters.
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() && tracked() {
            add(layout.size() as isize);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() && tracked() {
            add(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if tracked() {
            add(-(layout.size() as isize));
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() && tracked() {
            add(new_size as isize - layout.size() as isize);
        }
        new
    }
}

/// Runs `work` on this thread and returns its result and the peak number of
/// heap bytes it held at once.
pub(crate) fn peak_heap<T>(work: impl FnOnce() -> T) -> (T, usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    CURRENT.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    TRACKED.with(|t| t.set(true));
    let out = work();
    TRACKED.with(|t| t.set(false));
    (out, PEAK.load(Ordering::Relaxed).max(0) as usize)
}

/// Runs the future made by `work` on a fresh two-thread tokio runtime whose
/// worker and blocking threads are all tracked, and returns its result and
/// the peak heap bytes.
pub(crate) fn peak_heap_async<T, F>(work: impl FnOnce() -> F) -> (T, usize)
where
    F: Future<Output = T>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(|| TRACKED.with(|t| t.set(true)))
        .build()
        .expect("runtime");
    let (out, peak) = peak_heap(|| runtime.block_on(work()));
    drop(runtime);
    (out, peak)
}

#[test]
fn meter_sees_a_large_buffer_and_its_release() {
    let ((), peak) = peak_heap(|| {
        let big = vec![1u8; 8 << 20];
        assert_eq!(big.iter().map(|&b| b as usize).sum::<usize>(), 8 << 20);
    });
    assert!(peak >= 8 << 20, "peak {peak}");
    let (len, peak) = peak_heap_async(|| async {
        tokio::task::spawn_blocking(|| vec![0u8; 4 << 20].len())
            .await
            .expect("join")
    });
    assert_eq!(len, 4 << 20);
    assert!(peak >= 4 << 20, "blocking threads are tracked too: {peak}");
}
