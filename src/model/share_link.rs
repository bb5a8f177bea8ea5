//! Share links: the lifetimes the share dialog offers. A presigned URL works only
//! as long as the credentials that signed it, so only lifetimes those credentials
//! can honour are offered, the longest being "as long as they last".

/// Lifetimes offered when the credentials allow them, in seconds: 15 minutes,
/// 1 hour, 12 hours, 7 days (SigV4's longest presigned URL).
pub const STANDARD_LIFETIMES: [u64; 4] = [900, 3600, 43_200, 604_800];

/// Seconds kept back from what the credentials have left: the time between
/// opening the dialog and creating the link.
const MARGIN: u64 = 60;

/// What the dialog offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifetimeChoices {
    /// Lifetimes in seconds, shortest first, each one the credentials outlive.
    pub offered: Vec<u64>,
    /// The one selected at first: 1 hour when offered, else the longest.
    pub default: u64,
}

/// The lifetimes to offer when the signing credentials have `seconds_left`
/// (`None`: they do not expire): the standard ones that fit, and, when the
/// credentials end before the next standard one, their remaining time (to the
/// minute, less a minute's margin).
pub fn lifetime_choices(seconds_left: Option<u64>) -> LifetimeChoices {
    let limit = seconds_left.map_or(u64::MAX, |s| s.saturating_sub(MARGIN) / 60 * 60);
    let mut offered: Vec<u64> = STANDARD_LIFETIMES
        .into_iter()
        .filter(|&s| s <= limit)
        .collect();
    let longest = STANDARD_LIFETIMES[STANDARD_LIFETIMES.len() - 1];
    if limit < longest && !offered.contains(&limit) {
        // Under a minute left (credentials are renewed well before): what there is.
        offered.push(limit.max(seconds_left.unwrap_or(0).min(60)).max(1));
    }
    let default = if offered.contains(&3600) {
        3600
    } else {
        offered[offered.len() - 1]
    };
    LifetimeChoices { offered, default }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_of_almost_an_hour_do_not_offer_an_hour() {
        // Credentials are issued for an hour and are a little less by the time
        // the dialog opens: "1 hour" could never be honoured.
        let choices = lifetime_choices(Some(3598));
        assert_eq!(choices.offered, vec![900, 3480]);
        assert_eq!(choices.default, 3480);
    }

    #[test]
    fn long_credentials_offer_the_standard_lifetimes() {
        let choices = lifetime_choices(Some(50_000));
        assert_eq!(choices.offered, vec![900, 3600, 43_200, 49_920]);
        assert_eq!(choices.default, 3600);
        let choices = lifetime_choices(None);
        assert_eq!(choices.offered, STANDARD_LIFETIMES.to_vec());
        assert_eq!(choices.default, 3600);
    }

    #[test]
    fn exactly_a_standard_lifetime_is_not_offered_twice() {
        assert_eq!(
            lifetime_choices(Some(3600 + MARGIN + 30)).offered,
            vec![900, 3600]
        );
    }

    #[test]
    fn short_credentials_offer_what_is_left() {
        assert_eq!(lifetime_choices(Some(600)).offered, vec![540]);
        assert_eq!(lifetime_choices(Some(30)).offered, vec![30]);
        assert_eq!(lifetime_choices(Some(0)).offered, vec![1]);
        for left in [0, 1, 59, 61, 899, 900, 3599, 3600, 3660, 700_000] {
            let choices = lifetime_choices(Some(left));
            assert!(choices.offered.iter().all(|&s| s <= left.max(1)), "{left}");
            assert!(choices.offered.contains(&choices.default));
        }
    }
}
