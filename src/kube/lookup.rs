//! Reading live objects: the template function `lookup` and plain gets. Helm counterpart:
//! `pkg/engine/lookup_func.go`.

use ::kube::api::{DynamicObject, GetParams, ListParams};
use serde_json::{Map, Value};

use super::error::status_code;
use super::{Client, Discovery, Error, Resource};

/// Helm's `lookup apiVersion kind namespace name`: the object as a map, or with `name == ""`
/// the list of them (a `…List` object whose items carry `apiVersion` and `kind`, as Go's
/// unstructured list has them). A namespaced kind with `namespace == ""` lists all
/// namespaces. Not found (or a kind the served group/version lacks) gives an empty map; a
/// group/version the server does not serve is an error, as in Helm.
pub async fn lookup(
    client: &Client,
    discovery: &Discovery,
    api_version: &str,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Result<Map<String, Value>, Error> {
    let Some(resource_type) = discovery.resolve(api_version, kind) else {
        if discovery.serves_group_version(api_version) {
            return Ok(Map::new());
        }
        return Err(Error::Lookup {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
        });
    };
    let ns = (resource_type.namespaced && !namespace.is_empty()).then_some(namespace);
    let path = <DynamicObject as ::kube::Resource>::url_path(&resource_type.api_resource, ns);
    let request = ::kube::core::Request::new(path);
    let what = format!("{kind} {name:?} in namespace {namespace:?}");
    let (request, verb) = if name.is_empty() {
        (request.list(&ListParams::default()), "list")
    } else {
        (request.get(name, &GetParams::default()), "get")
    };
    let request = request.map_err(|source| {
        Error::request(verb, what.clone(), ::kube::Error::BuildRequest(source))
    })?;
    let value = match client.kube().request::<Value>(request).await {
        Ok(value) => value,
        Err(err) if status_code(&err) == Some(404) => return Ok(Map::new()),
        Err(err) => return Err(Error::request(verb, what, err)),
    };
    let Value::Object(mut map) = value else {
        return Ok(Map::new());
    };
    if name.is_empty() {
        fill_item_types(&mut map);
    }
    Ok(map)
}

/// Gives each item of a `…List` the list's `apiVersion` and the kind without `List`, where
/// missing (servers leave them out of list items).
fn fill_item_types(list: &mut Map<String, Value>) {
    let api_version = list.get("apiVersion").cloned().unwrap_or(Value::Null);
    let kind = list
        .get("kind")
        .and_then(Value::as_str)
        .map(|k| k.strip_suffix("List").unwrap_or(k).to_owned());
    let Some(Value::Array(items)) = list.get_mut("items") else {
        return;
    };
    for item in items {
        if let Value::Object(item) = item {
            if !item.contains_key("apiVersion") {
                item.insert("apiVersion".into(), api_version.clone());
            }
            if let (false, Some(kind)) = (item.contains_key("kind"), &kind) {
                item.insert("kind".into(), Value::String(kind.clone()));
            }
        }
    }
}

/// The live state of `resource` as JSON, `None` if it does not exist.
pub async fn get(client: &Client, resource: &Resource) -> Result<Option<Value>, Error> {
    let found = resource
        .api(client.kube())
        .get_opt(resource.name())
        .await
        .map_err(|source| Error::request("get", resource.describe(), source))?;
    Ok(found.map(|obj| serde_json::to_value(obj).unwrap_or(Value::Null)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_items_get_api_version_and_kind() {
        let Value::Object(mut list) = json!({
            "apiVersion": "v1", "kind": "ConfigMapList", "metadata": {},
            "items": [{"metadata": {"name": "a"}}, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}]
        }) else {
            unreachable!()
        };
        fill_item_types(&mut list);
        assert_eq!(list["items"][0]["kind"], "ConfigMap");
        assert_eq!(list["items"][0]["apiVersion"], "v1");
        assert_eq!(list["items"][1]["metadata"]["name"], "b");
    }
}
