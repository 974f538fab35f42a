using Npgsql;
using SessionBuddy.Analytics.Reports;

namespace SessionBuddy.Analytics.Projections;

/// <summary>The audit log (<c>audit_log</c>): one row per audited tool call, kept by its audit id so a redelivery adds nothing.</summary>
public sealed class AuditLogStore(EventBatches batches, NpgsqlDataSource dataSource)
{
    public const int MaxLimit = 1000;

    private const string AppendSql =
        """
        INSERT INTO audit_log (audit_id, at, subject, tool, project, session_id, outcome, instance)
        SELECT * FROM unnest(@ids, @ats, @subjects, @tools, @projects, @sessions, @outcomes, @instances)
        ON CONFLICT (audit_id) DO NOTHING
        """;

    private const string ReadSql =
        """
        SELECT at, subject, tool, project, session_id, outcome, instance FROM audit_log
        WHERE (@subject::text IS NULL OR subject = @subject) AND (@tool::text IS NULL OR tool = @tool)
            AND (@since::timestamptz IS NULL OR at >= @since)
        ORDER BY at DESC, audit_id
        LIMIT @limit
        """;

    public Task AppendAsync(IReadOnlyList<(Guid MessageId, ToolCallAudited Event)> events, CancellationToken ct) =>
        batches.ApplyAsync(events, nameof(ToolCallAudited), (accepted, batch) =>
        {
            var rows = accepted.OrderBy(e => e.AuditId).ToList();
            var insert = EventBatches.Command(batch, AppendSql);
            insert.Parameters.AddWithValue("ids", rows.Select(e => e.AuditId).ToArray());
            insert.Parameters.AddWithValue("ats", rows.Select(e => e.At).ToArray());
            insert.Parameters.AddWithValue("subjects", rows.Select(e => Storable(e.Subject)).ToArray());
            insert.Parameters.AddWithValue("tools", rows.Select(e => Storable(e.Tool)).ToArray());
            insert.Parameters.AddWithValue("projects", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, rows.Select(e => Storable(e.Project)).ToArray());
            insert.Parameters.AddWithValue("sessions", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid, rows.Select(e => e.SessionId).ToArray());
            insert.Parameters.AddWithValue("outcomes", rows.Select(e => e.Outcome).ToArray());
            insert.Parameters.AddWithValue("instances", rows.Select(e => e.Instance).ToArray());
            return Task.CompletedTask;
        }, ct);

    public async Task<AuditLog> ReadAsync(GetAuditLog request, CancellationToken ct)
    {
        var limit = ReportArguments.Range(request.Limit, "limit", 1, MaxLimit, "entries");
        var since = ReportArguments.Date(request.Since, "since");
        await using var command = dataSource.CreateCommand(ReadSql);
        command.Parameters.AddWithValue("subject", NpgsqlTypes.NpgsqlDbType.Text, (object?)Trimmed(request.Subject) ?? DBNull.Value);
        command.Parameters.AddWithValue("tool", NpgsqlTypes.NpgsqlDbType.Text, (object?)Trimmed(request.Tool) ?? DBNull.Value);
        command.Parameters.AddWithValue("since", NpgsqlTypes.NpgsqlDbType.TimestampTz, (object?)since ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit);
        var entries = new List<AuditEntry>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            entries.Add(new AuditEntry(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetGuid(4), reader.GetString(5), reader.GetString(6)));
        }
        return new AuditLog(entries);
    }

    /// <summary>
    /// The text as PostgreSQL can store it: a NUL character (which a caller may put in a project argument) is refused
    /// by text columns and would fail the whole batch, so it is kept as U+FFFD. Everything else is recorded as given.
    /// </summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(value))]
    internal static string? Storable(string? value) => value?.Replace('\0', '\uFFFD');

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
