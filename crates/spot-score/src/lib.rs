//! # spot-score
//! Apache Spot scores, thresholds and top-N over Arrow batches (being built).
