// Test processes run on Node 20 on purpose (the supported floor); the AWS SDK's advice to move to
// Node 22 is for users, not a test finding.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true";
