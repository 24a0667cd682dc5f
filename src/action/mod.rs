//! TODO: action
