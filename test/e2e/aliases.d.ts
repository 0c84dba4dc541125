// The Express 4 and Koa 2 copies installed under npm aliases, typed like their newer majors.
declare module 'express4' {
  import express from 'express'
  export default express
}
declare module 'koa2' {
  import Koa from 'koa'
  export default Koa
}
