//! Helpers shared by the unit tests: where the shared test data is, and the kubeconfig of
//! the real API server the `#[ignore]`d cluster tests run against.
use std::path::PathBuf;

/// The shared test-data folder: `RHELM_SHARED`, else `<repo>/../shared`, else `/work/shared`.
pub(crate) fn shared_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("RHELM_SHARED") {
        return PathBuf::from(dir);
    }
    let sibling = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if sibling.is_dir() {
        sibling
    } else {
        PathBuf::from("/work/shared")
    }
}

/// `RHELM_TEST_KUBECONFIG`, which the cluster tests need; panics saying how to get one.
pub(crate) fn test_kubeconfig() -> PathBuf {
    match std::env::var_os("RHELM_TEST_KUBECONFIG") {
        Some(path) => PathBuf::from(path),
        None => panic!(
            "set RHELM_TEST_KUBECONFIG to a kubeconfig: run `scripts/test-cluster.sh start /tmp/c` and use the path it prints"
        ),
    }
}

/// Writes `text` to `dir/name`, creating the folders on the way.
pub(crate) fn write_file(dir: &std::path::Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}
