using SessionBuddy.AppHost.Model;

namespace SessionBuddy.AppHost.Deployment;

/// <summary>
/// Publish mode: the servers a cluster runs, as containers with volumes, and their secrets as generated
/// parameters. Image names carry no registry host, so the deployment's own default applies.
/// </summary>
internal static class ContainerInfrastructure
{
    public static Infrastructure Add(IDistributedApplicationBuilder builder, IEnumerable<string> databases, int servicePoolSize, int serviceCount)
    {
        var postgres = builder.AddResource(new PostgresContainerResource("postgres", GeneratedSecret(builder, "postgres-password")))
            .WithImage("pgvector/pgvector", "pg15")
            .WithEndpoint(targetPort: 5432, name: "tcp", scheme: "tcp")
            .WithVolume("sessionbuddy-postgres-data", "/var/lib/postgresql/data")
            .WithEnvironment("POSTGRES_USER", PostgresContainerResource.User)
            .WithEnvironment(context => context.EnvironmentVariables["POSTGRES_PASSWORD"] = ((PostgresContainerResource)context.Resource).Password)
            .WithArgs("-c", "max_connections=" + (serviceCount * servicePoolSize + 50));
        var messaging = builder.AddResource(new RabbitMqContainerResource("messaging", GeneratedSecret(builder, "messaging-password")))
            .WithImage("rabbitmq", "3.13")
            .WithEndpoint(targetPort: 5672, name: "tcp", scheme: "tcp")
            .WithVolume("sessionbuddy-rabbitmq-data", "/var/lib/rabbitmq")
            .WithEnvironment("RABBITMQ_DEFAULT_USER", RabbitMqContainerResource.User)
            .WithEnvironment(context => context.EnvironmentVariables["RABBITMQ_DEFAULT_PASS"] = ((RabbitMqContainerResource)context.Resource).Password);

        var databaseResources = databases.ToDictionary(d => d,
            d => (IResourceBuilder<IResourceWithConnectionString>)builder.AddResource(new PostgresDatabaseResource(d, postgres.Resource, servicePoolSize)));
        return new Infrastructure(postgres, databaseResources, messaging, Ollama: null);
    }

    /// <summary>An Ollama container for embeddings; pull the model once in it (docs/deploy.md).</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddOllama(IDistributedApplicationBuilder builder) =>
        builder.AddResource(new OllamaResource("ollama"))
            .WithImage("ollama/ollama")
            .WithHttpEndpoint(targetPort: 11434, name: "http")
            .WithVolume("sessionbuddy-ollama-models", "/root/.ollama");

    // URL-safe, so the value can sit in an amqp:// URI unencoded.
    private static ParameterResource GeneratedSecret(IDistributedApplicationBuilder builder, string name) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true).Resource;
}
