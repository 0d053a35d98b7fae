//! The setups of issue 16: who is in the room, who sends, how fast, and
//! which servers each applies to.

/// One load of the comparison.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Name on the command line and in the tables.
    pub name: &'static str,
    /// What the table heading says.
    pub title: &'static str,
    /// Members per room.
    pub members: usize,
    /// Senders per room.
    pub senders: usize,
    /// Messages per second per sender (at most our chat's 20/s limit).
    pub rate: f64,
    /// One generator process per room, `--rooms` of them at once.
    pub many_rooms: bool,
    /// The members negotiate permessage-deflate (`ws-bench fanout --deflate`).
    pub deflate: bool,
    /// Only ours, one node and two nodes through Redis.
    pub redis: bool,
}

impl Setup {
    /// Whether `server` takes part in this setup.
    pub fn runs_on(&self, server: &str) -> bool {
        if self.redis {
            server.starts_with("ours")
        } else {
            server != "ours-redis"
        }
    }

    /// Deliveries per second offered: senders × rate × members, per room.
    pub fn offered(&self, rooms: usize) -> f64 {
        self.senders as f64 * self.rate * self.members as f64 * rooms as f64
    }
}

/// Every setup, in the order of the issue; `small` is the CI smoke test.
pub const SETUPS: [Setup; 6] = [
    Setup {
        name: "1000x50",
        title: "1000 members × 50 senders × 20/s",
        members: 1000,
        senders: 50,
        rate: 20.0,
        many_rooms: false,
        deflate: false,
        redis: false,
    },
    Setup {
        name: "10000x5",
        title: "10 000 members × 5 senders × 20/s",
        members: 10_000,
        senders: 5,
        rate: 20.0,
        many_rooms: false,
        deflate: false,
        redis: false,
    },
    Setup {
        name: "rooms",
        title: "many rooms × 10 members × 2 senders × 20/s",
        members: 10,
        senders: 2,
        rate: 20.0,
        many_rooms: true,
        deflate: false,
        redis: false,
    },
    Setup {
        name: "deflate",
        title: "1000 members × 50 senders × 20/s, permessage-deflate",
        members: 1000,
        senders: 50,
        rate: 20.0,
        many_rooms: false,
        deflate: true,
        redis: false,
    },
    Setup {
        name: "redis",
        title: "1000 members × 50 senders × 20/s, one node and two nodes through Redis",
        members: 1000,
        senders: 50,
        rate: 20.0,
        many_rooms: false,
        deflate: false,
        redis: true,
    },
    Setup {
        name: "small",
        title: "20 members × 2 senders × 20/s (smoke test)",
        members: 20,
        senders: 2,
        rate: 20.0,
        many_rooms: false,
        deflate: false,
        redis: false,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_setup_runs_only_ours() {
        let redis = SETUPS.iter().find(|s| s.redis).unwrap();
        assert!(redis.runs_on("ours") && redis.runs_on("ours-redis"));
        assert!(!redis.runs_on("tokio-tungstenite"));
        let plain = &SETUPS[0];
        assert!(plain.runs_on("node-ws") && !plain.runs_on("ours-redis"));
        assert_eq!(plain.offered(1), 1_000_000.0);
    }
}
