import { expect } from "chai";
import { isPilotlightError } from "../../../automation/domain/errors";
import type { ClusterInfo } from "../../../automation/ports/databases";
import type { RunbookPorts } from "../../../automation/ports/runbook-ports";
import type { SqlClient } from "../../../automation/ports/sql";
import { openDatabase } from "../../../automation/runbooks/actions";
import { validateConfig } from "../../../automation/config/load";
import { SANDBOX_CONFIG } from "../../../automation/config/sandbox-default";

const env = validateConfig(SANDBOX_CONFIG).environments["sandbox"]!;
const at = { region: "us-west-2", clusterArn: "arn:aws:rds:us-west-2:000000000000:cluster:c" };

/** Ports that describe one cluster and open a stand-in SQL client (nothing else is asked). */
function portsWith(instances: ClusterInfo["instances"]): { ports: RunbookPorts; opened: string[] } {
  const opened: string[] = [];
  const info = { id: "c", httpEndpointEnabled: true, instances } as unknown as ClusterInfo;
  const ports = {
    databases: { describeCluster: async () => info },
    sqlAccess: {
      open: async (q: { clusterArn: string }) => {
        opened.push(q.clusterArn);
        return {} as SqlClient;
      },
    },
  } as unknown as RunbookPorts;
  return { ports, opened };
}

describe("openDatabase: the writer is the member flagged as writer (RDS-3)", function () {
  it("opens a cluster whose first listed member is a T-class reader and whose writer is not", async function () {
    const { ports, opened } = portsWith([
      { id: "reader-1", writer: false, instanceClass: "db.t4g.medium" },
      { id: "writer", writer: true, instanceClass: "db.r6g.large" },
    ]);
    await openDatabase(ports, at, env, { enable: false });
    expect(opened).to.deep.equal([at.clusterArn]);
  });

  it("refuses a T-class writer listed after a reader, naming its class", async function () {
    const { ports, opened } = portsWith([
      { id: "reader-1", writer: false, instanceClass: "db.r6g.large" },
      { id: "writer", writer: true, instanceClass: "db.t4g.medium" },
    ]);
    const error = await openDatabase(ports, at, env, { enable: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPilotlightError(error) && error.code).to.equal("dataapi.unsupported");
    expect(opened).to.deep.equal([]);
  });
});
