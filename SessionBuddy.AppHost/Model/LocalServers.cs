namespace SessionBuddy.AppHost.Model;

/// <summary>
/// PostgreSQL run from the machine's own binaries (no container engine here), with its data in the
/// AppHost's data folder. Databases are child resources whose names double as connection-string names.
/// </summary>
public sealed class LocalPostgresResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string User = "postgres";

    public ParameterResource Password { get; } = password;

    public EndpointReference Endpoint => new(this, "tcp");

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Host={Endpoint.Property(EndpointProperty.Host)};Port={Endpoint.Property(EndpointProperty.Port)};Username={User};Password={Password}");
}

/// <summary>A database on a PostgreSQL server resource (local or container); its name is the database name.</summary>
public sealed class PostgresDatabaseResource(string name, IResourceWithConnectionString parent, int maxPoolSize)
    : Resource(name), IResourceWithParent<IResourceWithConnectionString>, IResourceWithConnectionString
{
    public IResourceWithConnectionString Parent { get; } = parent;

    // Every service shares one server: bounded pools keep them all below its max_connections.
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Database={Name};Maximum Pool Size={maxPoolSize.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
}

/// <summary>RabbitMQ run from the machine's own binaries; its connection string is the amqp:// URI services expect.</summary>
public sealed class LocalRabbitMqResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string User = "guest";

    /// <summary>The system account Debian's RabbitMQ runs as.</summary>
    public const string ServiceUser = "rabbitmq";

    public ParameterResource Password { get; } = password;

    public EndpointReference Endpoint => new(this, "tcp");

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"amqp://{User}:{Password}@{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)}");
}
