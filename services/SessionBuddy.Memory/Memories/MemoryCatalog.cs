namespace SessionBuddy.Memory.Memories;

/// <summary>
/// The categories this deployment accepts: the built-in ones plus <c>Memory:ExtraCategories</c>. A fixed
/// list, so a misspelt category is an error instead of a silently separate bucket.
/// </summary>
public sealed class MemoryCatalog
{
    public MemoryCatalog(IEnumerable<string>? extraCategories)
    {
        var all = new SortedSet<string>(MemoryCategories.Builtin, StringComparer.Ordinal);
        foreach (var extra in extraCategories ?? [])
        {
            if (!IsCategoryName(extra))
            {
                throw new InvalidOperationException($"Memory:ExtraCategories: {NotACategoryName(extra)}");
            }
            all.Add(Normalized(extra));
        }
        Categories = all;
    }

    /// <summary>Whether <paramref name="extra"/> (trimmed, in lower case) can name a category; checked at start with the Memory settings.</summary>
    public static bool IsCategoryName(string extra) => MemoryRules.IsIdentifier(Normalized(extra), MemoryLimits.MaxCategoryLength);

    public static string NotACategoryName(string extra) => $"'{extra}' is not a category name (lower-case letters, digits, _ . -).";

    private static string Normalized(string extra) => extra.Trim().ToLowerInvariant();

    public IReadOnlySet<string> Categories { get; }

    public bool IsKnown(string category) => Categories.Contains(category);
}
