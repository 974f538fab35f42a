using System.Globalization;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>The samples of a Prometheus text exposition, summed over label sets by metric name.</summary>
internal sealed class PrometheusText(string text)
{
    private readonly Dictionary<string, double> _values = text.Split('\n')
        .Where(line => line.Length > 0 && line[0] != '#')
        .Select(line =>
        {
            var name = line[..line.IndexOfAny(['{', ' '])];
            var value = line[(line.LastIndexOf('}') is var close and >= 0 ? close + 1 : name.Length)..].Trim().Split(' ')[0];
            return (Name: name, Value: double.Parse(value, CultureInfo.InvariantCulture));
        })
        .GroupBy(s => s.Name)
        .ToDictionary(g => g.Key, g => g.Sum(s => s.Value));

    public string Text { get; } = text;

    /// <summary>Each metric family's kind from its <c># TYPE name kind</c> line.</summary>
    public IReadOnlyDictionary<string, string> Types { get; } = text.Split('\n')
        .Where(line => line.StartsWith("# TYPE ", StringComparison.Ordinal))
        .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .ToDictionary(parts => parts[2], parts => parts[3]);

    public double Get(string name) => _values.GetValueOrDefault(name, double.NaN);
}
