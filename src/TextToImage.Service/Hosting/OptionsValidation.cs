using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TextToImage.Service.Hosting;

/// <summary>
/// The one way a settings section is registered: bound from its section, checked by its
/// <see cref="IValidateOptions{TOptions}"/> when the host starts (and on any earlier read), so a
/// bad value stops the host with a message that names the key instead of failing a job later.
/// </summary>
public static class OptionsValidation
{
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, string section)
        where TOptions : class where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        return services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
    }

    /// <summary>Fails with every problem found, one clause each naming its key; succeeds when there are none.</summary>
    public static ValidateOptionsResult Result(IReadOnlyCollection<string> problems) =>
        problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);

    /// <summary>An enum setting whose value is a number the enum does not define (the binder accepts "7").</summary>
    public static void CheckDefined<TEnum>(this List<string> problems, string key, TEnum value) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
            problems.Add($"{key} '{value}' is not supported; use {string.Join(", ", Enum.GetNames<TEnum>().Select(n => $"'{n.ToLowerInvariant()}'"))}");
    }
}
