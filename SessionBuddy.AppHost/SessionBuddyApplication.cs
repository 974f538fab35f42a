using Microsoft.Extensions.Configuration;
using SessionBuddy.AppHost.Deployment;
using SessionBuddy.AppHost.Local;
using SessionBuddy.Contracts.Health;

namespace SessionBuddy.AppHost;

/// <summary>What the services need from outside: one database each, the bus, and optionally Ollama.</summary>
public sealed record Infrastructure(
    IResourceBuilder<IResource> Postgres,
    IReadOnlyDictionary<string, IResourceBuilder<IResourceWithConnectionString>> Databases,
    IResourceBuilder<IResourceWithConnectionString> Messaging,
    IResourceBuilder<IResourceWithConnectionString>? Ollama);

/// <summary>The SessionBuddy application model: the five services and the gateway, on either infrastructure.</summary>
public static class SessionBuddyApplication
{
    public const string Gateway = ServiceNames.Gateway;
    public const int DefaultGatewayPort = 8678;

    // Each service's Npgsql pool is bounded so that all of them together stay below the server's
    // max_connections, and a burst in one service queues for its own connections instead of refusing another's.
    public const int ServicePoolSize = 40;

    /// <summary>Run mode: servers from local binaries (DCP cannot run containers without an engine).</summary>
    public static Infrastructure AddLocalInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var postgres = builder.AddLocalPostgres("postgres", ServicePoolSize, ServiceNames.Databases.Count * builder.Replicas());
        var databases = ServiceNames.Databases.ToDictionary(s => s.Database,
            s => (IResourceBuilder<IResourceWithConnectionString>)postgres.AddLocalDatabase(s.Database, ServicePoolSize));
        var messaging = builder.AddLocalRabbitMq("messaging");
        return new Infrastructure(postgres, databases, messaging, builder.AddOllama());
    }

    /// <summary>Publish mode: what a cluster runs, as containers and parameters.</summary>
    public static Infrastructure AddContainerInfrastructure(this IDistributedApplicationBuilder builder) =>
        ContainerInfrastructure.Add(builder, ServiceNames.Databases.Select(s => s.Database), ServicePoolSize, ServiceNames.Databases.Count * builder.Replicas()) with { Ollama = builder.AddOllama() };

    /// <summary>
    /// Embeddings from Ollama only when asked for: an endpoint given as ConnectionStrings:ollama (run or publish
    /// mode), or in publish mode an Ollama container (SessionBuddy:Ollama=container). Otherwise Memory uses its
    /// built-in embedder and nothing about Ollama is needed.
    /// </summary>
    private static IResourceBuilder<IResourceWithConnectionString>? AddOllama(this IDistributedApplicationBuilder builder) =>
        builder.Configuration.GetConnectionString("ollama") is { Length: > 0 } ? builder.AddConnectionString("ollama")
        : builder.ExecutionContext.IsPublishMode && builder.Configuration["SessionBuddy:Ollama"] is "container" ? ContainerInfrastructure.AddOllama(builder)
        : null;

    /// <summary>
    /// Processes of every service and of the gateway: <c>--replicas N</c>, <c>--SessionBuddy:Replicas N</c> or
    /// <c>SessionBuddy__Replicas=N</c> (default 1). Run mode starts N of each; the manifest has no replica count (Aspire's
    /// project.v0 has none), so publishing with N sizes PostgreSQL for N and writes the count into a kustomize overlay
    /// next to the manifest (<see cref="ReplicaOverlay"/>, docs/deploy.md).
    /// </summary>
    public static int Replicas(this IDistributedApplicationBuilder builder)
    {
        var replicas = builder.Configuration.GetValue("SessionBuddy:Replicas", builder.Configuration.GetValue("replicas", 1));
        return replicas >= 1 ? replicas
            : throw new InvalidOperationException($"SessionBuddy:Replicas (--replicas) must be 1 or more, got {replicas}.");
    }

    public static void AddSessionBuddy(this IDistributedApplicationBuilder builder, Infrastructure infrastructure)
    {
        var replicas = builder.Replicas();
        // One gateway listens on the MCP port itself; in run mode several sit behind DCP's proxy on that port, which
        // balances them. A deployment's own balancer fronts its replicas, so the manifest's binding stays the same.
        var gateway = builder.AddProject<Projects.SessionBuddy_Gateway>(Gateway)
            .WithHttpEndpoint(port: builder.Configuration.GetValue("SessionBuddy:GatewayPort", DefaultGatewayPort),
                isProxied: replicas > 1 && !builder.ExecutionContext.IsPublishMode)
            .WithExternalHttpEndpoints()
            .WithReference(infrastructure.Messaging)
            .WaitFor(infrastructure.Messaging)
            .WithHttpHealthCheck("/health");

        AddService<Projects.SessionBuddy_Sessions>(builder, infrastructure, gateway, ServiceNames.Sessions)
            .WithEnvironment(context =>
            {
                if (!builder.ExecutionContext.IsPublishMode)
                {
                    context.EnvironmentVariables["Sessions__WorkspaceRoot"] = Path.Combine(builder.DataDirectory(), "workspaces");
                }
            });
        var memory = AddService<Projects.SessionBuddy_Memory>(builder, infrastructure, gateway, ServiceNames.Memory);
        if (infrastructure.Ollama is { } ollama)
        {
            memory.WithReference(ollama);
        }
        AddService<Projects.SessionBuddy_Analytics>(builder, infrastructure, gateway, ServiceNames.Analytics);
        var workerPool = AddService<Projects.SessionBuddy_WorkerPool>(builder, infrastructure, gateway, ServiceNames.WorkerPool);
        var akoshaSync = AddService<Projects.SessionBuddy_AkoshaSync>(builder, infrastructure, gateway, ServiceNames.AkoshaSync);
        AddAkosha(builder, akoshaSync, workerPool);

        if (replicas > 1)
        {
            foreach (var project in builder.Resources.OfType<ProjectResource>())
            {
                builder.CreateResourceBuilder(project).WithReplicas(replicas);
            }
        }

        ReplicaOverlay.WriteWhenAskedFor(builder, replicas);

        if (builder.ExecutionContext.IsPublishMode)
        {
            // Aspire sets it in run mode; a deployment's telemetry needs the same names.
            foreach (var project in builder.Resources.OfType<ProjectResource>())
            {
                builder.CreateResourceBuilder(project).WithEnvironment("OTEL_SERVICE_NAME", project.Name);
            }
        }
        else
        {
            McpEndpointAnnouncement.Subscribe(builder, gateway);
        }
    }

    /// <summary>
    /// Every instance is an Akosha hub others may push to with the generated key (parameter akosha-hub-key); it pushes
    /// its own results only when given a hub: Akosha:Endpoint (and Akosha:ApiKey, Akosha:SystemId) in the AppHost's
    /// configuration reach AkoshaSync, and WorkerPool, whose pool_shutdown reports not_configured without it.
    /// </summary>
    private static void AddAkosha(IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> akoshaSync, IResourceBuilder<ProjectResource> workerPool)
    {
        var hubKey = builder.ExecutionContext.IsPublishMode
            ? builder.AddParameter("akosha-hub-key", new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true)
            : builder.AddPersistentSecret("akosha-hub-key");
        akoshaSync.WithEnvironment("Akosha__HubEnabled", "true").WithEnvironment("Akosha__HubKey", hubKey);
        foreach (var setting in new[] { "Endpoint", "ApiKey", "SystemId" })
        {
            if (builder.Configuration[$"Akosha:{setting}"] is { Length: > 0 } value)
            {
                akoshaSync.WithEnvironment($"Akosha__{setting}", value);
                if (setting == "Endpoint")
                {
                    workerPool.WithEnvironment("Akosha__Endpoint", value);
                }
            }
        }
    }

    private static IResourceBuilder<ProjectResource> AddService<TProject>(IDistributedApplicationBuilder builder, Infrastructure infrastructure,
        IResourceBuilder<ProjectResource> gateway, string name) where TProject : IProjectMetadata, new()
    {
        var database = infrastructure.Databases[ServiceNames.Databases.Single(s => s.Service == name).Database];
        var service = builder.AddProject<TProject>(name)
            .WithHttpEndpoint()
            .WithReference(database)
            .WithReference(infrastructure.Messaging)
            .WaitFor(infrastructure.Postgres)
            .WaitFor(infrastructure.Messaging)
            .WithHttpHealthCheck("/health");
        gateway.WithReference(service);
        return service;
    }
}
