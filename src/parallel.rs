//! Two pieces of work at once: one on the calling thread, one on rayon's pool.
//!
//! The element's streaming thread is not one of rayon's workers. `rayon::join` called from it
//! hands *both* closures to the pool and blocks: a worker has to wake for the first, and the
//! second waits until another worker wakes and steals it. Measured in the element on this
//! project's 2-core machine (2026-12-07, talk_wink_480, the iris model on both eyes): the first
//! eye started 0.04-0.3 ms after the call, the second 1.1-2.7 ms after, so the two runs of
//! 2.3-2.6 ms each took 4.3 ms together; with [`join_here`] the whole frame went from 7.5 to 6.1
//! ms. The same hand-off is why a second drawing thread used to cost time on small heads (see
//! `AUTO_PIXELS_PER_THREAD` in `src/engine/mesh.rs`).

use std::sync::atomic::{AtomicU64, Ordering};

static HAND_OFFS: AtomicU64 = AtomicU64::new(0);

/// How many times [`join_here`] handed work to rayon's pool in this process. Each hand-off is one
/// heap allocation (rayon boxes a spawned job; `rayon::join` did not allocate, its jobs live on
/// the stack): `tests/allocations.rs` counts them as it counts ONNX Runtime's session runs.
pub fn pool_hand_offs() -> u64 {
    HAND_OFFS.load(Ordering::Relaxed)
}

/// Runs `here` on the calling thread at once and `pool` on rayon's pool (an idle worker takes it
/// at once), and returns both results when both are done. A panic in either is passed on.
pub fn join_here<A, B: Send>(here: impl FnOnce() -> A, pool: impl FnOnce() -> B + Send) -> (A, B) {
    HAND_OFFS.fetch_add(1, Ordering::Relaxed);
    let mut pooled = None;
    let here = rayon::in_place_scope(|scope| {
        scope.spawn(|_| pooled = Some(pool()));
        here()
    });
    (
        here,
        pooled.expect("in_place_scope returns after its spawned work"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_run_and_the_first_runs_on_the_calling_thread() {
        let caller = std::thread::current().id();
        let (a, b) = join_here(
            || (std::thread::current().id(), 2 + 2),
            || vec![1u8; 3].len(),
        );
        assert_eq!(a, (caller, 4));
        assert_eq!(b, 3);
    }

    #[test]
    fn the_pooled_work_may_borrow_from_the_caller() {
        let mut left = vec![0u32; 4];
        let mut right = vec![0u32; 4];
        join_here(
            || left.iter_mut().for_each(|v| *v = 1),
            || right.iter_mut().for_each(|v| *v = 2),
        );
        assert_eq!((left, right), (vec![1; 4], vec![2; 4]));
    }
}
