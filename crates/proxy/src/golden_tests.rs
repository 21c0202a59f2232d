//! Golden nft scripts: what a full sync and partial syncs write, pinned in `tests/data/`.

use std::collections::BTreeMap;

use crate::fixtures::{ep, node, sample, service, state};
use crate::plan::plan;
use crate::render::render;
use crate::shared::SharedChains;
use crate::transaction::{Existing, ServiceChange, claims, full, partial};

fn check(name: &str, script: &str) {
    insta::with_settings!({snapshot_path => "../tests/data", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, script);
    });
}

#[test]
fn full_sync_of_the_sample() {
    let ruleset = plan(&sample(), &node());
    let tx = full(&ruleset, &claims(&ruleset), &Existing::default(), &[]);
    check("full_sync", &render(&tx.ops));
}

#[test]
fn full_sync_removes_leftovers() {
    let ruleset = plan(&BTreeMap::new(), &node());
    let existing = Existing {
        chains: [
            "services",
            "nodeport-endpoints-check",
            "endpoint-AAAAAAAA-ns/gone/tcp/__10.42.0.9/80",
            "cluster-endpoints-7",
        ]
        .map(String::from)
        .into(),
        sets: [
            "affinity-AAAAAAAA-ns/gone/tcp/__10.42.0.9/80",
            "cluster-ips",
        ]
        .map(String::from)
        .into(),
    };
    let stale = ["service-BBBBBBBB-ns/old/tcp/".to_string()];
    let tx = full(&ruleset, &claims(&ruleset), &existing, &stale);
    assert_eq!(
        tx.stale_chains,
        [
            "cluster-endpoints-7",
            "endpoint-AAAAAAAA-ns/gone/tcp/__10.42.0.9/80"
        ]
    );
    check("full_sync_leftovers", &render(&tx.ops));
}

#[test]
fn partial_syncs() {
    let node = node();
    let before = sample();
    let ruleset = plan(&before, &node);
    let mut elements = claims(&ruleset);

    // One endpoint more for default/whoami, default/empty gets one, and a new Service.
    let mut after = before.clone();
    let whoami = after.keys().find(|k| k.name == "whoami").unwrap().clone();
    after.insert(
        whoami.clone(),
        state(
            service("default/whoami", "10.43.0.11"),
            &[(
                "http",
                vec![
                    ep("10.42.0.5", 80),
                    ep("10.42.0.6", 80),
                    ep("10.42.0.8", 80),
                ],
            )],
        ),
    );
    let empty = after.keys().find(|k| k.name == "empty").unwrap().clone();
    after.insert(
        empty.clone(),
        state(
            service("default/empty", "10.43.0.12"),
            &[("http", vec![ep("10.42.0.9", 80)])],
        ),
    );
    let np = after
        .keys()
        .find(|k| k.name == "whoami-np")
        .unwrap()
        .clone();
    after.remove(&np);
    let next = plan(&after, &node);

    let mut changes = Vec::new();
    let mut element_changes = Vec::new();
    for name in [&whoami, &empty, &np] {
        let old = ruleset.services.get(name);
        let new = next.services.get(name);
        element_changes.extend(elements.replace(
            name,
            &old.map(|r| r.elements.clone()).unwrap_or_default(),
            &new.map(|r| r.elements.clone()).unwrap_or_default(),
        ));
        changes.push(ServiceChange { name, old, new });
    }
    let shared = SharedChains::of(&ruleset).update(changes.iter().map(|c| (c.old, c.new)), &node);
    let tx = partial(&changes, &element_changes, &shared, &[]);
    // whoami was the only Service with two endpoints on the shared-chain path (sticky has
    // its own chains); whoami-np's chains are still used by whoami-lb and dns.
    assert_eq!(tx.stale_chains, ["cluster-endpoints-2"]);
    check("partial_sync", &render(&tx.ops));
    assert_eq!(elements, claims(&next));
}
