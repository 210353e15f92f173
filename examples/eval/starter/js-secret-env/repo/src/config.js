// Runtime configuration.
module.exports = {
  apiKey: process.env.API_KEY,
  endpoint: 'https://api.example.invalid',
};
