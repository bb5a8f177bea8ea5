//! Which thumbnails to fetch, and the ones already made: the rows in view ask
//! (in the order they show), at most [`MAX_IN_FLIGHT`] reads run at once, a read
//! whose row left the view is aborted, and made thumbnails stay in a cache of
//! [`CACHE_SIZE`] (least recently shown goes first) so scrolling back costs no
//! request. Pure and host-tested; the list runs the reads
//! ([`crate::model::reading::read_start`] with an abort signal) and turns the
//! bytes into `blob:` URLs, which it revokes when the cache evicts them.

/// Reads at once: enough to fill a screen quickly, few enough to leave the
/// browser's six connections per host to the listing and uploads.
pub const MAX_IN_FLIGHT: usize = 4;

/// Thumbnails kept: more than a tall screen of tiles shows, so scrolling back and
/// forth over a few screens refetches nothing.
pub const CACHE_SIZE: usize = 200;

/// One object's thumbnail: its key, size and date (a replaced object is another
/// thumbnail).
pub type ThumbId = (String, u64, Option<u64>);

/// What the caller does after [`Thumbnails::want`] or [`Thumbnails::finished`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Reads to start, each with its ticket (handed back to `finished`).
    pub start: Vec<(ThumbId, u64)>,
    /// Reads to abort: their rows left the view.
    pub abort: Vec<u64>,
}

/// How a read ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<U> {
    /// Made: the thumbnail's URL.
    Made(U),
    /// Not an image the browser could read, or a failed request: the row keeps
    /// its icon, and this object is not asked for again while the list is open.
    Failed,
    Aborted,
}

/// The thumbnails wanted, being read and made. `U` is what shows one (a `blob:`
/// URL in the app).
#[derive(Debug)]
pub struct Thumbnails<U> {
    wanted: Vec<ThumbId>,
    in_flight: Vec<(ThumbId, u64)>,
    next_ticket: u64,
    /// Most recently shown last. Plain vectors: a few hundred items, and no
    /// hash map or deque code of their own in the wasm.
    made: Vec<(ThumbId, U)>,
    failed: Vec<ThumbId>,
}

impl<U> Default for Thumbnails<U> {
    fn default() -> Self {
        Thumbnails {
            wanted: Vec::new(),
            in_flight: Vec::new(),
            next_ticket: 0,
            made: Vec::new(),
            failed: Vec::new(),
        }
    }
}

impl<U: Clone> Thumbnails<U> {
    /// The thumbnail made for `id`, if any.
    pub fn get(&self, id: &ThumbId) -> Option<U> {
        self.made
            .iter()
            .find(|(made, _)| made == id)
            .map(|(_, url)| url.clone())
    }

    /// The rows in view now want `wanted` (top to bottom): reads of rows gone are
    /// aborted, and new ones start in that order while fewer than
    /// [`MAX_IN_FLIGHT`] run. Thumbnails in view count as just shown.
    pub fn want(&mut self, wanted: Vec<ThumbId>) -> Plan {
        for id in &wanted {
            if let Some(at) = self.made.iter().position(|(made, _)| made == id) {
                let entry = self.made.remove(at);
                self.made.push(entry);
            }
        }
        self.wanted = wanted;
        let mut plan = Plan::default();
        let wanted = &self.wanted;
        self.in_flight.retain(|(id, ticket)| {
            let keep = wanted.contains(id);
            if !keep {
                plan.abort.push(*ticket);
            }
            keep
        });
        self.start_more(&mut plan);
        plan
    }

    /// A read ended. Returns what to do next (more reads may start) and the URLs
    /// to release: the cache's evictions, or a thumbnail nobody waits for any more.
    pub fn finished(&mut self, ticket: u64, outcome: Outcome<U>) -> (Plan, Vec<U>) {
        let mut released = Vec::new();
        let at = self.in_flight.iter().position(|(_, t)| *t == ticket);
        match (at.map(|at| self.in_flight.remove(at)), outcome) {
            (Some((id, _)), Outcome::Made(url)) => {
                self.made.push((id, url));
                if self.made.len() > CACHE_SIZE {
                    released.push(self.made.remove(0).1);
                }
            }
            (Some((id, _)), Outcome::Failed) => {
                self.failed.push(id);
            }
            // Aborted or no longer awaited: a URL made anyway goes.
            (_, Outcome::Made(url)) => released.push(url),
            _ => {}
        }
        let mut plan = Plan::default();
        self.start_more(&mut plan);
        (plan, released)
    }

    /// Every URL made, and every read running to abort: the list is going.
    pub fn clear(&mut self) -> (Vec<u64>, Vec<U>) {
        self.wanted.clear();
        let tickets = self.in_flight.drain(..).map(|(_, t)| t).collect();
        let urls = self.made.drain(..).map(|(_, url)| url).collect();
        (tickets, urls)
    }

    fn start_more(&mut self, plan: &mut Plan) {
        for id in &self.wanted {
            if self.in_flight.len() >= MAX_IN_FLIGHT {
                break;
            }
            let busy = self.in_flight.iter().any(|(i, _)| i == id);
            let done = self.failed.contains(id) || self.made.iter().any(|(m, _)| m == id);
            if !busy && !done {
                let ticket = self.next_ticket;
                self.next_ticket += 1;
                self.in_flight.push((id.clone(), ticket));
                plan.start.push((id.clone(), ticket));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: usize) -> ThumbId {
        (format!("p/img-{n:03}.png"), 10, Some(1))
    }

    fn ids(range: std::ops::Range<usize>) -> Vec<ThumbId> {
        range.map(id).collect()
    }

    fn started(plan: &Plan) -> Vec<ThumbId> {
        plan.start.iter().map(|(id, _)| id.clone()).collect()
    }

    #[test]
    fn reads_start_in_view_order_a_few_at_a_time() {
        let mut t = Thumbnails::<String>::default();
        let plan = t.want(ids(0..10));
        assert_eq!(started(&plan), ids(0..MAX_IN_FLIGHT));
        assert!(plan.abort.is_empty());
        // Asking again for the same rows starts nothing twice.
        assert_eq!(t.want(ids(0..10)), Plan::default());
        let (plan, released) = t.finished(plan.start[0].1, Outcome::Made("u0".into()));
        assert_eq!(started(&plan), vec![id(4)]);
        assert!(released.is_empty());
        assert_eq!(t.get(&id(0)), Some("u0".to_string()));
        assert_eq!(t.get(&id(1)), None);
    }

    #[test]
    fn rows_that_leave_the_view_abort_their_reads() {
        let mut t = Thumbnails::<String>::default();
        let first = t.want(ids(0..10));
        let plan = t.want(ids(20..30));
        let tickets: Vec<u64> = first.start.iter().map(|(_, t)| *t).collect();
        assert_eq!(plan.abort, tickets);
        assert_eq!(started(&plan), ids(20..24));
        // The aborted reads end later: nothing more starts for them, and a URL
        // made anyway is released.
        let (plan, released) = t.finished(tickets[0], Outcome::Aborted);
        assert_eq!(plan, Plan::default());
        assert!(released.is_empty());
        let (_, released) = t.finished(tickets[1], Outcome::Made("late".into()));
        assert_eq!(released, vec!["late".to_string()]);
        assert_eq!(t.get(&id(1)), None);
        // Back in view, the row is read again (with a new ticket).
        let plan = t.want(ids(0..2));
        assert_eq!(started(&plan), ids(0..2));
        assert!(plan
            .start
            .iter()
            .all(|(_, ticket)| !tickets.contains(ticket)));
    }

    #[test]
    fn made_and_failed_thumbnails_are_not_read_again() {
        let mut t = Thumbnails::<String>::default();
        let plan = t.want(ids(0..2));
        let (a, b) = (plan.start[0].1, plan.start[1].1);
        t.finished(a, Outcome::Made("u0".into()));
        t.finished(b, Outcome::Failed);
        t.want(ids(5..6));
        assert!(t.want(ids(0..2)).start.is_empty());
        assert_eq!(t.get(&id(0)), Some("u0".to_string()));
        // A replaced object (another size or date) is another thumbnail.
        let replaced = (id(0).0, 11, Some(2));
        assert_eq!(started(&t.want(vec![replaced.clone()])), vec![replaced]);
    }

    #[test]
    fn the_cache_keeps_the_most_recently_shown() {
        let mut t = Thumbnails::<String>::default();
        let mut released = Vec::new();
        for n in 0..=CACHE_SIZE {
            // Each one shown, read and made; the first also shown again late.
            if n == CACHE_SIZE {
                t.want(vec![id(0)]);
            }
            let plan = t.want(vec![id(n + 1000)]);
            let ticket = plan.start[0].1;
            released.extend(t.finished(ticket, Outcome::Made(format!("u{n}"))).1);
            if n == 0 {
                let plan = t.want(vec![id(0)]);
                t.finished(plan.start[0].1, Outcome::Made("first".into()));
            }
        }
        // One over the size: the least recently shown went (not `first`).
        assert_eq!(released, vec!["u0".to_string(), "u1".to_string()]);
        assert_eq!(t.get(&id(0)), Some("first".to_string()));
        let (tickets, urls) = t.clear();
        assert!(tickets.is_empty());
        assert_eq!(urls.len(), CACHE_SIZE);
    }
}
