//! How long to wait before the next attempt to reach a receiver that is gone, and when to give up.

use std::time::Duration;

/// Reconnection timing: the first retry after [`Backoff::FIRST`], each next one twice as long,
/// at most [`Backoff::MAX`]; given up once the link has been down `give_up_after` (never when
/// `None`; at once when zero).
#[derive(Debug, Clone)]
pub struct Backoff {
    give_up_after: Option<Duration>,
    next: Duration,
}

impl Backoff {
    /// Wait before the first retry.
    pub const FIRST: Duration = Duration::from_millis(500);
    /// Longest wait between two attempts: a receiver that comes back is reached within this.
    pub const MAX: Duration = Duration::from_secs(4);

    /// A fresh backoff (a link just went down). `give_up_after`: see the type.
    pub fn new(give_up_after: Option<Duration>) -> Backoff {
        Backoff {
            give_up_after,
            next: Self::FIRST,
        }
    }

    /// The wait before the next attempt, given how long the link has been down (`down_for`), or
    /// `None` when it is time to give up. The wait is cut so that the last attempt happens at
    /// the give-up time, not after it.
    pub fn next_wait(&mut self, down_for: Duration) -> Option<Duration> {
        let mut wait = self.next;
        if let Some(limit) = self.give_up_after {
            if down_for >= limit {
                return None;
            }
            wait = wait.min(limit - down_for);
        }
        self.next = (self.next * 2).min(Self::MAX);
        Some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_maximum() {
        let mut b = Backoff::new(None);
        let waits: Vec<u128> = (0..6)
            .map(|i| b.next_wait(Duration::from_secs(i)).unwrap().as_millis())
            .collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 4000, 4000]);
    }

    #[test]
    fn zero_gives_up_at_once_and_a_limit_is_kept() {
        assert_eq!(
            Backoff::new(Some(Duration::ZERO)).next_wait(Duration::ZERO),
            None
        );
        let mut b = Backoff::new(Some(Duration::from_millis(1200)));
        assert_eq!(
            b.next_wait(Duration::ZERO),
            Some(Duration::from_millis(500))
        );
        // 1000 ms would pass the limit: the last attempt is made at it.
        assert_eq!(
            b.next_wait(Duration::from_millis(900)),
            Some(Duration::from_millis(300))
        );
        assert_eq!(b.next_wait(Duration::from_millis(1200)), None);
    }
}
