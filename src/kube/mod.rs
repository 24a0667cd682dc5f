//! TODO: kube
