using Npgsql;
using NpgsqlTypes;

namespace SessionBuddy.Memory.Search;

/// <summary>
/// Which reflections a search may return. Applied in SQL by every ranking path, so a project-scoped
/// search never sees another project's rows.
/// </summary>
public sealed record SearchFilter(
    string? Project = null,
    IReadOnlyList<string>? Tags = null,
    bool MatchAllTags = false,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    string? SessionId = null,
    string? Category = null,
    string? MetadataJson = null)
{
    public static readonly SearchFilter None = new();

    /// <summary>
    /// The predicate on alias <c>r</c>. Unset parameters are NULL; each statement is planned with its
    /// values, so the unused branches fold away and the indexes for the set ones are usable.
    /// </summary>
    public const string Sql =
        """
        (@project::text IS NULL OR r.project = @project)
        AND (@tags::text[] IS NULL OR (@all_tags AND r.tags @> @tags) OR (NOT @all_tags AND r.tags && @tags))
        AND (@since::timestamptz IS NULL OR r.created_at >= @since)
        AND (@until::timestamptz IS NULL OR r.created_at < @until)
        AND (@session_id::text IS NULL OR r.session_id = @session_id)
        AND (@category::text IS NULL OR r.category = @category)
        AND (@metadata::jsonb IS NULL OR r.metadata @> @metadata)
        """;

    /// <summary>
    /// The part of <see cref="Sql"/> that BM25 postings carry (project and category), on alias <c>p</c>,
    /// so keyword candidates are filtered without reading the reflection rows.
    /// </summary>
    public const string PostingSql =
        """
        (@project::text IS NULL OR p.project = @project)
        AND (@category::text IS NULL OR p.category = @category)
        """;

    /// <summary>True when nothing is filtered.</summary>
    public bool IsEmpty => Project is null && Tags is not { Count: > 0 } && Since is null && Until is null && SessionId is null && Category is null && MetadataJson is null;

    /// <summary>True when a predicate needs the reflection row itself (tags, time range, session, metadata).</summary>
    public bool NeedsRows => Tags is { Count: > 0 } || Since is not null || Until is not null || SessionId is not null || MetadataJson is not null;

    public void AddParameters(NpgsqlParameterCollection parameters)
    {
        parameters.Add(new NpgsqlParameter("project", NpgsqlDbType.Text) { Value = (object?)Project ?? DBNull.Value });
        parameters.Add(new NpgsqlParameter("tags", NpgsqlDbType.Array | NpgsqlDbType.Text)
        {
            Value = Tags is { Count: > 0 } ? Tags.ToArray() : DBNull.Value,
        });
        parameters.AddWithValue("all_tags", MatchAllTags);
        parameters.Add(new NpgsqlParameter("since", NpgsqlDbType.TimestampTz) { Value = Since is { } s ? s.ToUniversalTime() : DBNull.Value });
        parameters.Add(new NpgsqlParameter("until", NpgsqlDbType.TimestampTz) { Value = Until is { } u ? u.ToUniversalTime() : DBNull.Value });
        parameters.Add(new NpgsqlParameter("session_id", NpgsqlDbType.Text) { Value = (object?)SessionId ?? DBNull.Value });
        parameters.Add(new NpgsqlParameter("category", NpgsqlDbType.Text) { Value = (object?)Category ?? DBNull.Value });
        parameters.Add(new NpgsqlParameter("metadata", NpgsqlDbType.Jsonb) { Value = (object?)MetadataJson ?? DBNull.Value });
    }
}

/// <summary>One ranked candidate from one search path.</summary>
public readonly record struct RankedId(Guid Id, double Score);
