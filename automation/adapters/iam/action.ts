/** An IAM action, `service:Operation` as the Service Authorization Reference spells it. */
export type IamAction = `${string}:${string}`;

/** The AWS operation of an action (`rds:DescribeDBClusters` → `DescribeDBClusters`). */
export function operationOf(action: string): string {
  const i = action.indexOf(":");
  return i < 0 ? action : action.slice(i + 1);
}
