using SessionBuddy.Contracts.Health;

namespace SessionBuddy.LocalSystem.Model;

/// <summary>The SessionBuddy application: what the AppHost runs locally and what the manifest describes.</summary>
public static class SessionBuddyResources
{
    public const string Postgres = "postgres";
    public const string Messaging = "messaging";
    public const string Ollama = "ollama";
    public const string Gateway = ServiceNames.Gateway;
    public const string PostgresPassword = "postgres-password";
    public const string RabbitMqPassword = "rabbitmq-password";
    public const string AkoshaHubKey = "akosha-hub-key";

    /// <summary>The five services, each with the database it owns (<see cref="ServiceNames.Databases"/>).</summary>
    public static IReadOnlyList<(string Service, string Database)> Services => ServiceNames.Databases;

    public static IEnumerable<string> ProjectNames => Services.Select(s => s.Service).Append(Gateway);

    public static IEnumerable<string> DatabaseNames => Services.Select(s => s.Database);

    /// <param name="includeOllama">Whether an Ollama connection string was supplied (ConnectionStrings__ollama).</param>
    public static ResourceModel Build(bool includeOllama)
    {
        var postgresPassword = new ParameterResource(PostgresPassword, Secret: true);
        var rabbitPassword = new ParameterResource(RabbitMqPassword, Secret: true);

        var postgres = new ContainerResource(
            Postgres,
            Image: "pgvector/pgvector:pg15",
            ConnectionString: $"Host={{{Postgres}.bindings.tcp.host}};Port={{{Postgres}.bindings.tcp.port}};Username=postgres;Password={{{PostgresPassword}.value}}",
            Environment: new Dictionary<string, string>
            {
                ["POSTGRES_HOST_AUTH_METHOD"] = "scram-sha-256",
                ["POSTGRES_INITDB_ARGS"] = "--auth-host=scram-sha-256 --auth-local=scram-sha-256",
                ["POSTGRES_USER"] = "postgres",
                ["POSTGRES_PASSWORD"] = $"{{{PostgresPassword}.value}}",
            },
            Bindings: [new Binding("tcp", "tcp", "tcp", TargetPort: 5432)],
            VolumeTarget: "/var/lib/postgresql/data");

        var rabbit = new ContainerResource(
            Messaging,
            Image: "rabbitmq:3.13-management",
            ConnectionString: $"amqp://guest:{{{RabbitMqPassword}.value}}@{{{Messaging}.bindings.tcp.host}}:{{{Messaging}.bindings.tcp.port}}",
            Environment: new Dictionary<string, string>
            {
                ["RABBITMQ_DEFAULT_USER"] = "guest",
                ["RABBITMQ_DEFAULT_PASS"] = $"{{{RabbitMqPassword}.value}}",
            },
            Bindings: [new Binding("tcp", "tcp", "tcp", TargetPort: 5672), new Binding("management", "http", "http", TargetPort: 15672)],
            VolumeTarget: "/var/lib/rabbitmq");

        var resources = new List<Resource> { postgresPassword, rabbitPassword, new ParameterResource(AkoshaHubKey, Secret: true), postgres };
        resources.AddRange(Services.Select(s => new DatabaseResource(s.Database, postgres)));
        resources.Add(rabbit);
        if (includeOllama)
        {
            resources.Add(new ConnectionStringResource(Ollama));
        }

        foreach (var (service, database) in Services)
        {
            var env = new Dictionary<string, string>
            {
                ["OTEL_SERVICE_NAME"] = service,
                [$"ConnectionStrings__{database}"] = $"{{{database}.connectionString}}",
                [$"ConnectionStrings__{Messaging}"] = $"{{{Messaging}.connectionString}}",
                [$"services__{Gateway}__http__0"] = $"{{{Gateway}.bindings.http.url}}",
            };
            if (service == "akoshasync")
            {
                // Every instance is an Akosha hub (as the AppHost runs it); pushing needs Akosha:Endpoint.
                env["Akosha__HubEnabled"] = "true";
                env["Akosha__HubKey"] = $"{{{AkoshaHubKey}.value}}";
            }
            if (includeOllama && service == "memory")
            {
                env[$"ConnectionStrings__{Ollama}"] = $"{{{Ollama}.connectionString}}";
            }
            resources.Add(new ProjectResource(service, ProjectLocation.For(service), env, HttpBindings(external: false))
            {
                DataDirectoryEnvironment = service == "sessions"
                    ? new Dictionary<string, string> { ["Sessions__WorkspaceRoot"] = "workspaces" }
                    : new Dictionary<string, string>(),
            });
        }

        var gatewayEnv = new Dictionary<string, string>
        {
            ["OTEL_SERVICE_NAME"] = Gateway,
            [$"ConnectionStrings__{Messaging}"] = $"{{{Messaging}.connectionString}}",
        };
        foreach (var (service, _) in Services)
        {
            gatewayEnv[$"services__{service}__http__0"] = $"{{{service}.bindings.http.url}}";
        }
        resources.Add(new ProjectResource(Gateway, ProjectLocation.For(Gateway), gatewayEnv, HttpBindings(external: true)));

        return new ResourceModel(resources);
    }

    private static Binding[] HttpBindings(bool external) =>
        [new Binding("http", "http", "http", External: external), new Binding("https", "https", "http", External: external)];
}
