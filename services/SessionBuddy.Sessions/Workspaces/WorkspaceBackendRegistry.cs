using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using SessionBuddy.Contracts;
using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Workspaces;

public sealed record WorkspaceBackendRecord(string Name, string Kind, string? Container, string? Root, long SessionCount);

/// <summary>
/// The registry of workspace backends (table workspace_backends) and which one holds each session's
/// files (sessions.backend, 'local' unless register_workspace_backend moved it), with health checks.
/// </summary>
public sealed class WorkspaceBackendRegistry(NpgsqlDataSource dataSource, SessionStore sessions, IOptions<SessionsOptions> options)
{
    private const string DefaultContainerRoot = "/workspace";

    public async Task<WorkspaceBackendDetails> RegisterAsync(
        string name, string kind, string? container, string? root, Guid? sessionId, CancellationToken ct)
    {
        (container, root) = Validate(name, kind, container, root);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var upsert = new NpgsqlCommand(
            """
            INSERT INTO workspace_backends (name, kind, container, root) VALUES (@name, @kind, @container, @root)
            ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, container = EXCLUDED.container, root = EXCLUDED.root
            """, connection, transaction))
        {
            upsert.Parameters.AddWithValue("name", name);
            upsert.Parameters.AddWithValue("kind", kind);
            upsert.Parameters.AddWithValue("container", NpgsqlDbType.Text, (object?)container ?? DBNull.Value);
            upsert.Parameters.AddWithValue("root", NpgsqlDbType.Text, (object?)root ?? DBNull.Value);
            await upsert.ExecuteNonQueryAsync(ct);
        }
        if (sessionId is { } id)
        {
            await sessions.AssignBackendAsync(connection, transaction, id, name, ct);
        }
        await transaction.CommitAsync(ct);
        var record = (await ListRecordsAsync(name, ct)).Single();
        return new WorkspaceBackendDetails(record.Name, record.Kind, record.Container, record.Root, record.SessionCount,
            await HealthOfAsync(record, ct));
    }

    public async Task<WorkspaceBackendList> ListAsync(CancellationToken ct)
    {
        var records = await ListRecordsAsync(null, ct);
        var details = new List<WorkspaceBackendDetails>();
        foreach (var r in records)
        {
            details.Add(new WorkspaceBackendDetails(r.Name, r.Kind, r.Container, r.Root, r.SessionCount, await HealthOfAsync(r, ct)));
        }
        return new WorkspaceBackendList(details);
    }

    /// <summary>The backend holding a session's files, bound to that session.</summary>
    public IWorkspaceBackend For(WorkspaceBackendRecord backend, Guid sessionId, string workspaceDir) => backend.Kind switch
    {
        WorkspaceBackendKinds.Container => new ContainerWorkspaceBackend(
            backend.Name, backend.Container!, $"{(backend.Root ?? DefaultContainerRoot).TrimEnd('/')}/{sessionId}",
            new ContainerCli(options.Value.ContainerCli, options.Value.ContainerCommandTimeout), options.Value.MaxFileBytes),
        _ => new LocalWorkspaceBackend(backend.Name, workspaceDir, options.Value.MaxFileBytes),
    };

    /// <summary>The backend's health as a whole (for a local backend: the workspace root).</summary>
    private async Task<BackendHealth> HealthOfAsync(WorkspaceBackendRecord backend, CancellationToken ct)
    {
        if (backend.Kind == WorkspaceBackendKinds.Local)
        {
            var root = Path.GetFullPath(options.Value.WorkspaceRoot);
            var healthy = Directory.Exists(root);
            return new BackendHealth(backend.Name, backend.Kind, healthy, healthy ? $"workspace root {root}" : $"workspace root {root} is missing");
        }
        return await For(backend, Guid.Empty, string.Empty).CheckHealthAsync(ct);
    }

    public static async Task<WorkspaceBackendRecord> FindAsync(NpgsqlConnection connection, string name, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT name, kind, container, root FROM workspace_backends WHERE name = @name", connection);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            throw new InvalidOperationException($"workspace backend {name} is referenced but missing");
        }
        return new WorkspaceBackendRecord(reader.GetString(0), reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), 0);
    }

    private async Task<List<WorkspaceBackendRecord>> ListRecordsAsync(string? name, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT b.name, b.kind, b.container, b.root
            FROM workspace_backends b
            WHERE @name::text IS NULL OR b.name = @name
            ORDER BY b.name
            """);
        command.Parameters.AddWithValue("name", NpgsqlDbType.Text, (object?)name ?? DBNull.Value);
        var counts = await sessions.CountByBackendAsync(ct);
        var rows = new List<WorkspaceBackendRecord>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new WorkspaceBackendRecord(reader.GetString(0), reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                counts.GetValueOrDefault(reader.GetString(0))));
        }
        return rows;
    }

    private static (string? Container, string? Root) Validate(string name, string kind, string? container, string? root)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw RequestRejectedException.InvalidArgument("name", "is required: 1..100 letters, digits, '-', '_' or '.'");
        }
        if (name == WorkspaceBackendKinds.Local && kind != WorkspaceBackendKinds.Local)
        {
            throw RequestRejectedException.InvalidArgument("name", "'local' is the built-in local backend; choose another name");
        }
        switch (kind)
        {
            case WorkspaceBackendKinds.Local:
                return (null, null);
            case WorkspaceBackendKinds.Container:
                if (string.IsNullOrWhiteSpace(container) || container.StartsWith('-') || !container.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                {
                    throw RequestRejectedException.InvalidArgument("container", "is required for a container backend: the container's name or id");
                }
                if (root is not null && (!root.StartsWith('/') || root.Split('/').Contains("..") || root.Any(char.IsControl)))
                {
                    throw RequestRejectedException.InvalidArgument("root", $"'{root}' must be an absolute path inside the container without '..'");
                }
                return (container, root ?? DefaultContainerRoot);
            case WorkspaceBackendKinds.Kubernetes:
                throw RequestRejectedException.InvalidArgument("kind", "kubernetes pod backends are not available yet; use local or container");
            default:
                throw RequestRejectedException.InvalidArgument("kind", $"'{kind}' is not one of {string.Join(", ", WorkspaceBackendKinds.All)}");
        }
    }

    public static RequestRejectedException Unavailable(BackendHealth health) =>
        new(new RequestRejected(RejectionCodes.Unavailable,
            $"session_id: the session's workspace backend '{health.Name}' ({health.Kind}) is unhealthy: {health.Detail}. Retry once it is healthy.",
            "session_id"));
}
