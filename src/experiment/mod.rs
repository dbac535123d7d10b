//! GrowthBook-compatible hashing and bucketing (work in progress).
