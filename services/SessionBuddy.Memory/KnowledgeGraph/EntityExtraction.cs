using System.Text.RegularExpressions;

namespace SessionBuddy.Memory.KnowledgeGraph;

/// <summary>
/// Rule-based, deterministic entity extraction for extract_entities_from_context. Rules run in priority
/// order and a character claimed by one rule is not matched again:
/// <list type="number">
/// <item><c>url</c>: http(s) URLs, trailing punctuation dropped.</item>
/// <item><c>file_path</c>: paths with a separator (<c>src/app/Program.cs</c>, <c>./run.sh</c>, <c>C:\x\y.txt</c>)
/// and bare file names with a known source/config extension (<c>README.md</c>).</item>
/// <item><c>technology</c>: a fixed list of known technology names, matched case-insensitively as whole
/// words and reported in their canonical spelling (<c>postgres</c> → PostgreSQL).</item>
/// <item><c>code_identifier</c>: names followed by a call parenthesis (<c>parse_args(</c>), dotted member
/// names (<c>Console.WriteLine</c>), CamelCase / camelCase names (at least two humps) and snake_case /
/// SCREAMING_SNAKE names (at least one underscore between letters).</item>
/// </list>
/// Results are unique per (name, type), ordered by first occurrence, with their occurrence count.
/// </summary>
public static partial class EntityExtraction
{
    public const string Url = "url";
    public const string FilePath = "file_path";
    public const string Technology = "technology";
    public const string CodeIdentifier = "code_identifier";

    private const string Extensions =
        "cs|csproj|sln|props|py|ts|tsx|js|jsx|mjs|json|md|sql|ya?ml|toml|go|rs|java|kt|rb|php|sh|ps1|c|h|cpp|hpp|swift|txt|xml|html|css|ini|cfg|conf|lock|env|dockerfile";

    // Canonical name by lower-case spelling.
    private static readonly Dictionary<string, string> Technologies = new(StringComparer.OrdinalIgnoreCase)
    {
        ["postgresql"] = "PostgreSQL", ["postgres"] = "PostgreSQL", ["pgvector"] = "pgvector", ["mysql"] = "MySQL",
        ["sqlite"] = "SQLite", ["redis"] = "Redis", ["mongodb"] = "MongoDB", ["elasticsearch"] = "Elasticsearch",
        ["rabbitmq"] = "RabbitMQ", ["kafka"] = "Kafka", ["masstransit"] = "MassTransit", ["docker"] = "Docker",
        ["podman"] = "Podman", ["kubernetes"] = "Kubernetes", ["k8s"] = "Kubernetes", ["terraform"] = "Terraform",
        ["python"] = "Python", ["c#"] = "C#", ["csharp"] = "C#", [".net"] = ".NET", ["dotnet"] = ".NET",
        ["asp.net"] = "ASP.NET", ["aspire"] = "Aspire", ["typescript"] = "TypeScript", ["javascript"] = "JavaScript",
        ["node.js"] = "Node.js", ["nodejs"] = "Node.js", ["react"] = "React", ["vue"] = "Vue", ["angular"] = "Angular",
        ["rust"] = "Rust", ["golang"] = "Go", ["java"] = "Java", ["kotlin"] = "Kotlin", ["git"] = "Git",
        ["github"] = "GitHub", ["gitlab"] = "GitLab", ["linux"] = "Linux", ["windows"] = "Windows", ["macos"] = "macOS",
        ["ollama"] = "Ollama", ["claude"] = "Claude", ["qwen"] = "Qwen", ["openai"] = "OpenAI", ["mcp"] = "MCP",
        ["hnsw"] = "HNSW", ["bm25"] = "BM25", ["grpc"] = "gRPC", ["graphql"] = "GraphQL", ["rest"] = "REST",
        ["http"] = "HTTP", ["json"] = "JSON", ["yaml"] = "YAML", ["sql"] = "SQL", ["npgsql"] = "Npgsql",
        ["nunit"] = "NUnit", ["xunit"] = "xUnit", ["pytest"] = "pytest", ["opentelemetry"] = "OpenTelemetry",
        ["prometheus"] = "Prometheus", ["grafana"] = "Grafana", ["nginx"] = "nginx", ["fastapi"] = "FastAPI",
        ["django"] = "Django", ["flask"] = "Flask", ["webassembly"] = "WebAssembly", ["wasm"] = "WebAssembly",
    };

    public static IReadOnlyList<ExtractedEntity> Extract(string text)
    {
        var claimed = new bool[text.Length];
        var found = new List<(int Start, string Name, string Type)>();

        Collect(UrlPattern(), Url, m => m.Value.TrimEnd('.', ',', ';', ':', '!', '?', ')'));
        Collect(PathPattern(), FilePath, m => m.Value.TrimEnd('.', ',', ';', ':'));
        Collect(FileNamePattern(), FilePath, m => m.Value);
        Collect(WordPattern(), Technology, m => Technologies.GetValueOrDefault(m.Value));
        Collect(CallPattern(), CodeIdentifier, m => m.Groups[1].Value);
        Collect(MemberPattern(), CodeIdentifier, m => m.Length >= 4 ? m.Value : null); // not "e.g"
        Collect(CamelCasePattern(), CodeIdentifier, m => m.Value);
        Collect(SnakeCasePattern(), CodeIdentifier, m => m.Value);

        return found
            .GroupBy(f => (f.Name, f.Type))
            .Select(g => (First: g.Min(f => f.Start), Entity: new ExtractedEntity(g.Key.Name, g.Key.Type, g.Count())))
            .OrderBy(g => g.First)
            .ThenBy(g => g.Entity.Name, StringComparer.Ordinal)
            .Select(g => g.Entity)
            .ToList();

        void Collect(Regex pattern, string type, Func<Match, string?> name)
        {
            foreach (Match match in pattern.Matches(text))
            {
                if (name(match) is not { Length: > 0 } value || IsClaimed(match.Index, match.Length))
                {
                    continue;
                }
                Array.Fill(claimed, true, match.Index, match.Length);
                found.Add((match.Index, value, type));
            }
        }

        bool IsClaimed(int start, int length)
        {
            for (var i = start; i < start + length; i++)
            {
                if (claimed[i])
                {
                    return true;
                }
            }
            return false;
        }
    }

    [GeneratedRegex(@"https?://[^\s<>""'`]+", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"(?<![\w/\\.~])(?:~|\.{1,2}|[A-Za-z]:)?(?:[/\\][\w.@+-]+)+[/\\]?|(?<![\w/\\.])[\w.@+-]+(?:[/\\][\w.@+-]+)+[/\\]?")]
    private static partial Regex PathPattern();

    [GeneratedRegex(@"(?<![\w.])[\w-]+(?:\.[\w-]+)*\.(?:" + Extensions + @")\b", RegexOptions.IgnoreCase)]
    private static partial Regex FileNamePattern();

    [GeneratedRegex(@"(?<![\w.#])(?:\.net|asp\.net|node\.js|c#|[a-z][a-z0-9]*)(?![\w#]|\.[a-z])", RegexOptions.IgnoreCase)]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"\b([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\(")]
    private static partial Regex CallPattern();

    [GeneratedRegex(@"\b[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+\b(?!\.?\w)")]
    private static partial Regex MemberPattern();

    [GeneratedRegex(@"\b(?:[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+|[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+)\b")]
    private static partial Regex CamelCasePattern();

    [GeneratedRegex(@"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")]
    private static partial Regex SnakeCasePattern();
}
