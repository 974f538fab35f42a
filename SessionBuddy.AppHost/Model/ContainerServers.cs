namespace SessionBuddy.AppHost.Model;

/// <summary>
/// Publish mode's servers. Written here rather than taken from Aspire.Hosting.PostgreSQL/RabbitMQ because
/// those add <c>annotated.string</c> resources (URI-encoded passwords) to the manifest, which azd and
/// aspirate do not accept; these keep the manifest to container, project, value and parameter resources.
/// </summary>
public sealed class PostgresContainerResource(string name, ParameterResource password) : ContainerResource(name), IResourceWithConnectionString
{
    public const string User = "postgres";

    public ParameterResource Password { get; } = password;

    public ReferenceExpression ConnectionStringExpression
    {
        get
        {
            var endpoint = new EndpointReference(this, "tcp");
            return ReferenceExpression.Create($"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={User};Password={Password}");
        }
    }
}

/// <summary>RabbitMQ; the password parameter is generated without special characters, so it sits in the URI as it is.</summary>
public sealed class RabbitMqContainerResource(string name, ParameterResource password) : ContainerResource(name), IResourceWithConnectionString
{
    public const string User = "guest";

    public ParameterResource Password { get; } = password;

    public ReferenceExpression ConnectionStringExpression
    {
        get
        {
            var endpoint = new EndpointReference(this, "tcp");
            return ReferenceExpression.Create($"amqp://{User}:{Password}@{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)}");
        }
    }
}

/// <summary>An Ollama server; its connection string is what Memory reads (ConnectionStrings__ollama).</summary>
public sealed class OllamaResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public const string EmbeddingModel = "nomic-embed-text";

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Endpoint={new EndpointReference(this, "http").Property(EndpointProperty.Url)};Model={EmbeddingModel}");
}
