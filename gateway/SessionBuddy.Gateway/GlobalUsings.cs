// The MCP surface of the gateway (tools, resources, prompts, their security and telemetry) is built on these.
global using System.ComponentModel;
global using ModelContextProtocol.Server;
global using SessionBuddy.Gateway.Messaging;
