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
            var name = extra.Trim().ToLowerInvariant();
            if (!MemoryRules.IsIdentifier(name, MemoryLimits.MaxCategoryLength))
            {
                throw new InvalidOperationException($"Memory:ExtraCategories: '{extra}' is not a category name (lower-case letters, digits, _ . -).");
            }
            all.Add(name);
        }
        Categories = all;
    }

    public IReadOnlySet<string> Categories { get; }

    public bool IsKnown(string category) => Categories.Contains(category);
}
