//! A bounded pool of scoped threads that maps a slice in parallel.

use std::{
    num::NonZeroUsize,
    sync::{
        Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    thread,
};

use crate::Result;

/// Applies `work` to every item on at most `threads` threads and returns the
/// results in the items' order, whatever order they finished in.
///
/// Items are handed out one at a time from a shared counter rather than split
/// into fixed ranges up front, so one large file does not leave the other
/// threads idle. Each thread owns one `state` (made by `init`), which lets a
/// worker reuse its read buffer across items instead of allocating per item.
///
/// On failure the remaining items are skipped and the error of the lowest
/// failing index is returned, so the reported error does not depend on timing
/// when only one item is bad.
pub(crate) fn map<I, T, S>(
    items: &[I],
    threads: NonZeroUsize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &I) -> Result<T> + Sync,
) -> Result<Vec<T>>
where
    I: Sync,
    T: Send,
{
    let threads = threads.get().min(items.len());
    if threads <= 1 {
        let mut state = init();
        return items.iter().map(|item| work(&mut state, item)).collect();
    }

    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let done = Mutex::new(Vec::with_capacity(items.len()));
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut state = init();
                let mut local = Vec::new();
                while !failed.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else { break };
                    let result = work(&mut state, item);
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    local.push((index, result));
                }
                // A poisoned lock only means another worker panicked; the
                // scope re-raises that panic, so the data here is never read.
                if let Ok(mut done) = done.lock() {
                    done.append(&mut local);
                }
            });
        }
    });

    let mut done = done
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

/// The number of threads to use when the caller has no preference: one per
/// core the process may run on.
pub(crate) fn default_threads() -> NonZeroUsize {
    thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn keeps_item_order() {
        let items: Vec<u64> = (0..1000).collect();
        let threads = NonZeroUsize::new(4).expect("non-zero");
        let out = map(&items, threads, || (), |(), n| Ok(n * 2)).expect("no error");
        assert_eq!(out, items.iter().map(|n| n * 2).collect::<Vec<_>>());
    }

    #[test]
    fn reports_the_lowest_failing_index() {
        let items: Vec<u64> = (0..200).collect();
        let threads = NonZeroUsize::new(3).expect("non-zero");
        let err = map(
            &items,
            threads,
            || (),
            |(), n| {
                if *n == 7 {
                    Err(Error::io(
                        format!("item {n}"),
                        std::io::ErrorKind::Other.into(),
                    ))
                } else {
                    Ok(*n)
                }
            },
        )
        .expect_err("item 7 fails");
        assert!(err.to_string().starts_with("item 7"), "{err}");
    }
}
