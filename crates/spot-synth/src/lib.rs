//! # spot-synth
//!
//! Seeded synthetic days of enterprise network telemetry with labeled injected attacks, for the
//! demo, tests, benchmarks and evaluation. The same seed gives the same day.
//!
//! ```
//! use spot_synth::{FlowDayConfig, flow_day};
//! let day = flow_day(&FlowDayConfig { workstations: 20, ..FlowDayConfig::default() });
//! assert!(day.batch.num_rows() > 1000);
//! assert_eq!(day.attacks.len(), 4);
//! ```

mod dns;
mod flow;

pub use dns::{
    DnsAttackKind, DnsDay, DnsDayConfig, DnsInjectedAttack, INTERNAL_ZONE, top_domains_csv,
    write_dns_day,
};
pub use flow::{AttackKind, FlowDay, FlowDayConfig, InjectedAttack, flow_day};
