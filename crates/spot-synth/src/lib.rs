//! # spot-synth
//!
//! Seeded synthetic days of enterprise network telemetry with labeled injected attacks, for the
//! demo, tests, benchmarks and evaluation. The same seed gives the same day.
//!
//! ```
//! use spot_synth::{FlowDayConfig, flow_day};
//! let day = flow_day(&FlowDayConfig { workstations: 20, ..FlowDayConfig::default() });
//! assert!(day.batch.num_rows() > 1000);
//! assert_eq!(day.attacks.len(), 5);
//! ```

pub mod flow;
pub mod proxy;

pub use flow::{AttackKind, FlowDay, FlowDayConfig, InjectedAttack, flow_day};
pub use proxy::{
    InjectedProxyAttack, PROXY_DAY_FIELDS, ProxyAttackKind, ProxyDay, ProxyDayConfig, ProxyRequest,
    proxy_day,
};
