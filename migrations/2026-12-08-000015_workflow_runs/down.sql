DROP TABLE workflow_node_executions;
DROP TABLE workflow_executions;
