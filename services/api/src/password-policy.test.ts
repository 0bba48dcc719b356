import { describe, expect, it } from 'vitest';
import { passwordProblem } from './password-policy.ts';

describe('passwordProblem', () => {
  it.each([
    ['short', /at least 10 characters/],
    ['          ', /only spaces/],
    ['\t\t\t\t\t\t\t\t\t\t', /only spaces/],
    ['aaaaaaaaaaaa', /too few different characters/],
    ['abababababab', /too few different characters/],
    ['1234567890', /consecutive/],
    ['0987654321', /consecutive/],
    ['abcdefghijkl', /consecutive/],
    ['qwertyuiop', /consecutive/],
    ['1qaz2wsx3edc', /consecutive/],
    ['123456789012', /consecutive/],
    ['password123', /most common/],
    ['Password123!', /most common/],
    ['basketball', /most common/],
    ['BASKETBALL', /most common/],
    ['iloveyou12345', /most common/],
    ['football2024!', /most common/],
    ['!!monkey!!!!', /most common/],
    ['superman123456789', /most common/],
    ['qwerty123456', /most common|consecutive/],
    ['jane.doe rocks 2024', /email address/],
  ])('refuses %j', (password, problem) => {
    expect(passwordProblem(password, 'Jane.Doe@example.com')).toMatch(problem);
  });

  it.each([
    'correct horse battery',
    'correct horse battery staple 42',
    'a long password',
    'dragon_2847561930',
    'Tr0ub4dor&3xyz',
    'kettle-orbit-mango',
    '8472910365',
  ])('accepts %j', (password) => {
    expect(passwordProblem(password, 'jane.doe@example.com')).toBeUndefined();
  });

  it('checks the email name only when it is long enough to mean something', () => {
    expect(passwordProblem('me and my long passphrase', 'me@example.com')).toBeUndefined();
  });
});
