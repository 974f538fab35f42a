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
    /// Where a statement filters reflections (alias <c>r</c>); <see cref="Apply"/> puts there the conditions of
    /// the filters that are set, and only those. Statements are auto-prepared and, after a few runs, may be
    /// executed on PostgreSQL's generic plan: a generic plan of "@project IS NULL OR r.project = @project"
    /// cannot use an index on project, so the exact semantic scan of a project read every row of the table
    /// and fetched each embedding from TOAST (bench/README.md, issue 22). Each combination of set filters is
    /// its own statement, and each has a plan fit for it.
    /// </summary>
    public const string Sql = "{reflection filter}";

    /// <summary>
    /// Where a statement filters BM25 postings (alias <c>p</c>) by what they carry (project and category),
    /// so keyword candidates are filtered without reading the reflection rows; see <see cref="Apply"/>.
    /// </summary>
    public const string PostingSql = "{posting filter}";

    /// <summary>True when nothing is filtered.</summary>
    public bool IsEmpty => Project is null && Tags is not { Count: > 0 } && Since is null && Until is null && SessionId is null && Category is null && MetadataJson is null;

    /// <summary>True when a predicate needs the reflection row itself (tags, time range, session, metadata).</summary>
    public bool NeedsRows => Tags is { Count: > 0 } || Since is not null || Until is not null || SessionId is not null || MetadataJson is not null;

    /// <summary>
    /// <paramref name="sql"/> with <see cref="Sql"/> and <see cref="PostingSql"/> replaced by the conditions of
    /// the set filters ("TRUE" for none); <see cref="AddParameters"/> adds their values.
    /// </summary>
    public string Apply(string sql) =>
        sql.Replace(Sql, ReflectionPredicate(), StringComparison.Ordinal).Replace(PostingSql, PostingPredicate(), StringComparison.Ordinal);

    private string ReflectionPredicate()
    {
        var conditions = new List<string>(4);
        if (Project is not null)
        {
            conditions.Add("r.project = @project");
        }
        if (Tags is { Count: > 0 })
        {
            conditions.Add(MatchAllTags ? "r.tags @> @tags" : "r.tags && @tags");
        }
        if (Since is not null)
        {
            conditions.Add("r.created_at >= @since");
        }
        if (Until is not null)
        {
            conditions.Add("r.created_at < @until");
        }
        if (SessionId is not null)
        {
            conditions.Add("r.session_id = @session_id");
        }
        if (Category is not null)
        {
            conditions.Add("r.category = @category");
        }
        if (MetadataJson is not null)
        {
            conditions.Add("r.metadata @> @metadata");
        }
        return conditions.Count == 0 ? "TRUE" : "(" + string.Join(" AND ", conditions) + ")";
    }

    private string PostingPredicate() => (Project, Category) switch
    {
        (null, null) => "TRUE",
        (not null, null) => "p.project = @project",
        (null, not null) => "p.category = @category",
        _ => "(p.project = @project AND p.category = @category)",
    };

    /// <summary>The values of the set filters, for a statement made by <see cref="Apply"/>.</summary>
    public void AddParameters(NpgsqlParameterCollection parameters)
    {
        if (Project is not null)
        {
            parameters.Add(new NpgsqlParameter("project", NpgsqlDbType.Text) { Value = Project });
        }
        if (Tags is { Count: > 0 })
        {
            parameters.Add(new NpgsqlParameter("tags", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = Tags.ToArray() });
        }
        if (Since is { } since)
        {
            parameters.Add(new NpgsqlParameter("since", NpgsqlDbType.TimestampTz) { Value = since.ToUniversalTime() });
        }
        if (Until is { } until)
        {
            parameters.Add(new NpgsqlParameter("until", NpgsqlDbType.TimestampTz) { Value = until.ToUniversalTime() });
        }
        if (SessionId is not null)
        {
            parameters.Add(new NpgsqlParameter("session_id", NpgsqlDbType.Text) { Value = SessionId });
        }
        if (Category is not null)
        {
            parameters.Add(new NpgsqlParameter("category", NpgsqlDbType.Text) { Value = Category });
        }
        if (MetadataJson is not null)
        {
            parameters.Add(new NpgsqlParameter("metadata", NpgsqlDbType.Jsonb) { Value = MetadataJson });
        }
    }
}

/// <summary>One ranked candidate from one search path.</summary>
public readonly record struct RankedId(Guid Id, double Score);
