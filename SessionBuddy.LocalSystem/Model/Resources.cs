namespace SessionBuddy.LocalSystem.Model;

/// <summary>
/// One node of the application model. Values that depend on other resources are written as
/// manifest expressions (<c>{postgres.connectionString}</c>): the manifest publisher writes them as
/// they are and the orchestrator resolves them against what it started, so both read one model.
/// </summary>
public abstract record Resource(string Name);

/// <summary>A deployment-time value (a password); generated when not supplied.</summary>
public sealed record ParameterResource(string Name, bool Secret, int GeneratedMinLength = 22) : Resource(Name);

/// <summary>A connection string supplied from outside (e.g. Ollama); present only when configured.</summary>
public sealed record ConnectionStringResource(string Name) : Resource(Name);

/// <summary>A port a resource listens on.</summary>
public sealed record Binding(string Name, string Scheme, string Transport, int? TargetPort = null, bool External = false);

/// <summary>A server the orchestrator runs locally from installed binaries and a deployment runs as a container.</summary>
public sealed record ContainerResource(
    string Name,
    string Image,
    string ConnectionString,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<Binding> Bindings,
    string? VolumeTarget) : Resource(Name);

/// <summary>A database on a PostgreSQL server; its name doubles as the connection-string name.</summary>
public sealed record DatabaseResource(string Name, ContainerResource Server) : Resource(Name)
{
    public string ConnectionString => $"{{{Server.Name}.connectionString}};Database={Name}";
}

/// <summary>A .NET project run as its own process.</summary>
public sealed record ProjectResource(
    string Name,
    ProjectLocation Location,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<Binding> Bindings) : Resource(Name)
{
    /// <summary>Variables only meaningful on a developer machine, as paths relative to the data directory.</summary>
    public IReadOnlyDictionary<string, string> DataDirectoryEnvironment { get; init; } = new Dictionary<string, string>();
}

/// <summary>The whole application, in declaration order.</summary>
public sealed class ResourceModel(IReadOnlyList<Resource> resources)
{
    public IReadOnlyList<Resource> Resources { get; } = resources;

    public IEnumerable<T> OfType<T>() where T : Resource => Resources.OfType<T>();

    public Resource this[string name] =>
        Resources.FirstOrDefault(r => r.Name == name)
        ?? throw new ArgumentException($"Unknown resource '{name}'. Known: {string.Join(", ", Resources.Select(r => r.Name))}.", nameof(name));

    public ProjectResource Project(string name) =>
        this[name] as ProjectResource ?? throw new ArgumentException($"Resource '{name}' is not a project.", nameof(name));
}
