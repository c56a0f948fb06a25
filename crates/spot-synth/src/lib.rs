//! # spot-synth
//! Seeded synthetic days of enterprise telemetry (being built).
