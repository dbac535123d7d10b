//! GrowthBook-compatible targeting conditions (work in progress).
