// What nearly every file of this service uses: MassTransit (consumers, publishing) and the service's own contracts.
global using MassTransit;
global using SessionBuddy.Contracts.Analytics;

// Options validation (IValidatableObject) means the DataAnnotations type, not MassTransit's of the same name.
global using ValidationResult = System.ComponentModel.DataAnnotations.ValidationResult;
