//! NodePort and LoadBalancer Services from the lab (step 5): the PORT(S) column with allocated
//! node ports, and the errors for a node port that is taken or out of range.
//!
//! Expected output follows upstream: PORT(S) `port:nodePort/proto` (kubernetes
//! `pkg/printers/internalversion/printers.go`, `makePortString`); the allocator errors
//! "provided port is already allocated" / "provided port is not in the valid range. The range of
//! valid ports is 30000-32767" (`pkg/registry/core/service/portallocator/allocator.go`) wrapped in
//! `field.Invalid(spec.ports[i].nodePort)` (`pkg/registry/core/service/storage/alloc.go`); kubectl
//! prints an Invalid status as `The <Kind> "<name>" is invalid: <field>: <detail>`
//! (kubectl `pkg/cmd/util/helpers.go`, `checkErr`).

mod support;

use support::{Cluster, Table};

const NODEPORT: &str = "labs/services/specs/services/whoami-nodeport.yaml";
const LOADBALANCER: &str = "labs/services/specs/services/whoami-loadbalancer.yaml";

/// A NodePort Service named `name` asking for `node_port`.
fn node_port_service(name: &str, node_port: u32) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  labels:\n    app: whoami\nspec:\n  type: NodePort\n  selector:\n    app: whoami\n  ports:\n    - name: http\n      port: 8011\n      targetPort: 80\n      nodePort: {node_port}\n"
    )
}

/// Splits `8080:31234/TCP` into (port, node port, protocol).
fn split_ports(cell: &str) -> (u32, u32, &str) {
    let (ports, proto) = cell
        .split_once('/')
        .unwrap_or_else(|| panic!("PORT(S) {cell}"));
    let (port, node) = ports
        .split_once(':')
        .unwrap_or_else(|| panic!("PORT(S) {cell}"));
    (port.parse().unwrap(), node.parse().unwrap(), proto)
}

#[test]
fn nodeport_and_loadbalancer_show_their_node_ports() {
    let c = Cluster::start();
    let applied = c
        .kubectl(&["apply", "-f", NODEPORT, "-f", LOADBALANCER])
        .ok();
    assert_eq!(
        applied.stdout,
        "service/whoami-np created\nservice/whoami-lb created\n"
    );

    let out = c.kubectl(&["get", "svc", "-l", "app=whoami"]).ok();
    let table = Table::parse(&out.stdout);
    assert_eq!(
        table.header,
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    assert_eq!(table.names(), ["whoami-lb", "whoami-np"]);

    assert_eq!(table.cell("whoami-np", "TYPE"), "NodePort");
    assert_eq!(table.cell("whoami-np", "EXTERNAL-IP"), "<none>");
    assert_eq!(table.cell("whoami-np", "PORT(S)"), "8010:30010/TCP");

    assert_eq!(table.cell("whoami-lb", "TYPE"), "LoadBalancer");
    let (port, node_port, proto) = split_ports(table.cell("whoami-lb", "PORT(S)"));
    assert_eq!((port, proto), (8080, "TCP"));
    assert!(
        (30000..=32767).contains(&node_port),
        "node port {node_port}"
    );
    assert_ne!(node_port, 30010);
    // Without a load-balancer implementation the address is pending; with one it is an IP.
    let external = table.cell("whoami-lb", "EXTERNAL-IP");
    assert!(
        external == "<pending>" || external.split('.').count() == 4,
        "EXTERNAL-IP {external}"
    );

    // The allocated node port is stored on the object.
    let stored = c
        .kubectl(&[
            "get",
            "svc",
            "whoami-lb",
            "-o",
            "jsonpath={.spec.ports[0].nodePort}",
        ])
        .ok();
    assert_eq!(stored.stdout, node_port.to_string());
    let policy = c
        .kubectl(&[
            "get",
            "svc",
            "whoami-np",
            "-o",
            "jsonpath={.spec.externalTrafficPolicy}",
        ])
        .ok();
    assert_eq!(policy.stdout, "Cluster");
}

#[test]
fn a_node_port_that_is_taken_is_rejected() {
    let c = Cluster::start();
    c.kubectl(&["apply", "-f", NODEPORT]).ok();

    let dup = c.write("whoami-np-2.yaml", &node_port_service("whoami-np-2", 30010));
    let run = c.kubectl(&["apply", "-f", dup.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "The Service \"whoami-np-2\" is invalid: spec.ports[0].nodePort: Invalid value: 30010: provided port is already allocated\n"
    );
    let gone = c.kubectl(&["get", "svc", "whoami-np-2"]);
    assert_eq!(
        gone.stderr,
        "Error from server (NotFound): services \"whoami-np-2\" not found\n"
    );

    // Deleting the owner releases the port for the next Service.
    let deleted = c.kubectl(&["delete", "-f", NODEPORT]).ok();
    assert_eq!(deleted.stdout, "service \"whoami-np\" deleted\n");
    let retry = c.kubectl(&["apply", "-f", dup.to_str().unwrap()]).ok();
    assert_eq!(retry.stdout, "service/whoami-np-2 created\n");
    let table = Table::parse(&c.kubectl(&["get", "svc", "whoami-np-2"]).ok().stdout);
    assert_eq!(table.cell("whoami-np-2", "PORT(S)"), "8011:30010/TCP");
}

#[test]
fn a_node_port_outside_the_range_is_rejected() {
    let c = Cluster::start();
    let low = c.write("low.yaml", &node_port_service("whoami-low", 8080));
    let run = c.kubectl(&["apply", "-f", low.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        "The Service \"whoami-low\" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767\n"
    );
    let services = Table::parse(&c.kubectl(&["get", "svc"]).ok().stdout);
    assert_eq!(services.names(), ["kubernetes"]);
}
