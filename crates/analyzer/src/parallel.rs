//! Work spread over threads, each with the analysis stack, results in the order of the work.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::ANALYSIS_STACK_SIZE;

/// `f` of every item, on up to `threads` threads (the calling one among them), in the order of
/// `items` whatever order they finish in. Items are taken one at a time as threads free up, so
/// give more items than threads when their costs differ.
pub(crate) fn map<T: Sync, R: Send>(
    threads: usize,
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else {
                return done;
            };
            done.push((index, f(item)));
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads)
            .map(|_| {
                std::thread::Builder::new()
                    .name("cedarcheck-analysis".into())
                    .stack_size(ANALYSIS_STACK_SIZE)
                    .spawn_scoped(scope, work)
                    .expect("spawning an analysis thread")
            })
            .collect();
        let mut done = work();
        for helper in helpers {
            done.extend(
                helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        done
    });
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

/// `(a(), b())`, `b` on a thread of its own when `parallel` says so.
pub(crate) fn join<A, B: Send>(
    parallel: bool,
    a: impl FnOnce() -> A,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !parallel {
        return (a(), b());
    }
    std::thread::scope(|scope| {
        let b = std::thread::Builder::new()
            .name("cedarcheck-analysis".into())
            .stack_size(ANALYSIS_STACK_SIZE)
            .spawn_scoped(scope, b)
            .expect("spawning an analysis thread");
        let a = a();
        let b = b
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (a, b)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_in_the_order_of_the_items() {
        let items: Vec<u64> = (0..100).collect();
        for threads in [0, 1, 2, 7, 200] {
            let squares = super::map(threads, &items, |n| {
                // Later items finish first.
                std::thread::sleep(std::time::Duration::from_micros(100 - n));
                n * n
            });
            assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
        }
    }
}
