using System.Collections;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SessionBuddy.ServiceDefaults.Configuration;

/// <summary>The one way every service binds its settings.</summary>
public static class ValidatedOptionsExtensions
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to the configuration section and checks it at start-up against its data
    /// annotations (and <see cref="IValidatableObject"/>), nested settings objects included: a bad value stops the
    /// process with a message naming its key, e.g. <c>Sessions:MaxMessageLength: must be at least 1</c>.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class
    {
        services.AddSingleton<IValidateOptions<TOptions>>(new KeyNamingValidator<TOptions>(Options.DefaultName, section));
        return services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
    }

    /// <summary>
    /// For a setting needed before the container is built (which services to register, a command-line tool): binds
    /// <typeparamref name="TOptions"/> from the section now and checks it with the same rules and messages as
    /// <see cref="AddValidatedOptions{TOptions}"/>, throwing <see cref="OptionsValidationException"/> naming every bad key.
    /// </summary>
    public static TOptions GetValidatedOptions<TOptions>(this IConfiguration configuration, string section)
        where TOptions : class, new()
    {
        var options = new TOptions();
        configuration.GetSection(section).Bind(options);
        var result = new KeyNamingValidator<TOptions>(Options.DefaultName, section).Validate(Options.DefaultName, options);
        return result.Failed ? throw new OptionsValidationException(section, typeof(TOptions), result.Failures) : options;
    }

    private sealed class KeyNamingValidator<TOptions>(string name, string section) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? optionsName, TOptions options)
        {
            if (optionsName is not null && optionsName != name)
            {
                return ValidateOptionsResult.Skip;
            }
            var failures = new List<string>();
            Check(options, section, failures);
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }

        private static void Check(object value, string path, List<string> failures)
        {
            var context = new ValidationContext(value);
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(value, context, results, validateAllProperties: true) && value is IValidatableObject validatable)
            {
                // The validator checks the object as a whole only when its properties passed: report both at once.
                results.AddRange(validatable.Validate(context));
            }
            failures.AddRange(results.Select(r =>
                $"{(r.MemberNames.Any() ? string.Join(", ", r.MemberNames.Select(m => $"{path}:{m}")) : path)}: {r.ErrorMessage}"));
            // Settings objects nested in this one (sections within the section) are checked the same way.
            foreach (var property in value.GetType().GetProperties())
            {
                if (property.GetIndexParameters().Length > 0 || property.GetValue(value) is not { } nested)
                {
                    continue;
                }
                if (IsSettings(nested.GetType()))
                {
                    Check(nested, $"{path}:{property.Name}", failures);
                }
                else if (nested is IDictionary dictionary)
                {
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        if (entry.Value is { } item && IsSettings(item.GetType()))
                        {
                            Check(item, $"{path}:{property.Name}:{entry.Key}", failures);
                        }
                    }
                }
            }
        }

        private static bool IsSettings(Type type) =>
            type.IsClass && type != typeof(string) && type.Namespace?.StartsWith("SessionBuddy", StringComparison.Ordinal) == true;
    }
}
